import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { JobProgress } from '@ingest/client';
import { CliOutput, type OutputStream } from './cli-output';
import { progressView } from './progress-view';

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
