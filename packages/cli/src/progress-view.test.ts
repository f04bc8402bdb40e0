import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { JobProgress } from '@ingest/client';
import { CliOutput, type OutputStream } from './cli-output';
import { describeDelivery, progressView } from './progress-view';

/** A terminal as the bar sees one, keeping what is drawn on it. */
function terminal(): OutputStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, {
    isTTY: true,
    columns: 120,
    text: () => chunks.join(''),
  });
}

test("the terminal bar shows a gateway's state with its control characters as \\xNN", () => {
  const stdout = terminal();
  const view = progressView(new CliOutput(stdout, terminal(), false));
  // Any string passes the SDK's answer check; a JobState is what it claims.
  const state = 'publishing\x1b]0;pwned\x07' as JobProgress['state'];

  view.update({ job_id: 7, state, q: 1, i: 0, d: 0, e: 0 });
  view.stop();

  assert.ok(!stdout.text().includes('\x1b]0;pwned'), JSON.stringify(stdout.text()));
  assert.ok(stdout.text().includes('publishing\\x1b]0;pwned\\x07'));
});

test('status lists an email handed on as delivered, with no "no answer"', () => {
  const attempt = {
    target: 'o***@example.com',
    eventId: 'evt_4_x',
    at: '2026-12-06T05:35:01.393Z',
    durationMs: 134,
  };
  const email = { ...attempt, channel: 'email' as const, attempt: 1, ok: true };
  assert.equal(describeDelivery(email), '  email delivered (attempt 1)');
  const hook = { ...attempt, channel: 'webhook' as const, attempt: 2, ok: false, status: 401 };
  assert.equal(describeDelivery(hook), '  webhook failed (attempt 2, 401)');
  const lost = { ...attempt, channel: 'email' as const, attempt: 3, ok: false };
  assert.equal(describeDelivery(lost), '  email failed (attempt 3, no answer)');
});
