/**
 * A job's name, and its uploads' file names and titles, in an email: a
 * client names them freely, and the email goes where its `oncomplete`
 * says, so a name's own lines (a message set out as the service's) and
 * control characters stay out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LISTED, quotedName, renderSummary } from './email-summary';
import type { JobCompletedEvent } from './job-event';

const event = {
  type: 'job.completed' as const,
  job_id: 7,
  state: 'complete' as const,
  counts: { q: 0, i: 0, d: 0, e: 0 },
  tracks: [],
  errors: [],
  completed_at: '2026-12-05T21:00:00.000Z',
};

test('a name of several lines is shown on one, in its quotes', () => {
  const jobName =
    'Batch\r\n\r\nYour account is suspended.\nSign in at https://example.test/x\u2028now';
  const { text, html } = renderSummary({ reason: 'oncomplete', event, jobName });
  const line = text.split('\n').find((l) => l.startsWith('Job 7 '));
  assert.equal(
    line,
    'Job 7 "Batch Your account is suspended. Sign in at https://example.test/x now" ' +
      'is complete.',
  );
  assert.ok(!text.split('\n').some((l) => l.startsWith('Your account')), text);
  assert.ok(!html.includes('\n<p>Your account'), html);
});

test('control characters go, a long name is cut, a blank one is left out', () => {
  assert.equal(quotedName('A\u0007\u001b[31mB\u0085C'), ' "A [31mB C"');
  assert.equal(quotedName(`${'é'.repeat(150)}`), ` "${'é'.repeat(100)}…"`);
  assert.equal(quotedName(' \r\n '), '');
  assert.equal(quotedName(undefined), '');
});

test('a long file name is cut; an upload without a label shows by its id', () => {
  const rendition = { bytes: 1, sha256: 'x', duration: 1, url: 'http://i.test/d' };
  const failed: JobCompletedEvent = {
    ...event,
    counts: { q: 0, i: 0, d: 1, e: 2 },
    tracks: [{ track_id: 9, upload_id: 3, formats: { mp3: rendition } }],
    errors: [4, 5].map((id) => ({ upload_id: id, error: 'x', error_code: 'y' })),
  };
  const labels = new Map([
    [3, { title: 'Song' }],
    [4, { fileName: `${'n'.repeat(300)}.wav`, title: '\u202e \r\n' }],
  ]);
  const { text } = renderSummary({ reason: 'oncomplete', event: failed, jobName: '', labels });
  const lines = text.split('\n');
  assert.ok(lines.includes('Track 9 (upload 3, title "Song")'), text);
  // Cut, it keeps its extension.
  assert.ok(lines.includes(`Upload 4 (file "${'n'.repeat(96)}….wav"): x [y]`), text);
  assert.ok(lines.includes('Upload 5: x [y]'), text);
});

test('a job of 1000 tracks and 1000 failures lists 100 of each, and says how many more', () => {
  const rendition = { bytes: 1, sha256: 'x', duration: 1, url: 'http://i.test/d' };
  const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
  const big: JobCompletedEvent = {
    ...event,
    counts: { q: 0, i: 0, d: 1000, e: 1000 },
    tracks: ids.map((id) => ({ track_id: id, upload_id: id, formats: { mp3: rendition } })),
    errors: ids.map((id) => ({ upload_id: 1000 + id, error: 'x', error_code: 'y' })),
  };
  const { text, html } = renderSummary({ reason: 'oncomplete', event: big, jobName: '' });
  const lines = text.split('\n');
  assert.equal(lines.filter((l) => /^Track \d+ /.test(l)).length, LISTED);
  assert.equal(lines.filter((l) => /^Upload \d+: /.test(l)).length, LISTED);
  assert.ok(lines.includes(`Track ${LISTED} (upload ${LISTED})`), 'the first ones, in order');
  assert.ok(
    lines.includes('…and 900 more tracks: /api/import/list?job_id=7 lists them all.'),
    text.slice(-500),
  );
  assert.ok(
    lines.includes('…and 900 more failed uploads: /api/import/list?job_id=7 lists them all.'),
  );
  assert.ok(html.length < 100_000, `${html.length} characters of HTML`);
  // At the cap, no such line.
  const full = renderSummary({
    reason: 'oncomplete',
    event: { ...big, tracks: big.tracks.slice(0, LISTED), errors: [] },
    jobName: '',
  });
  assert.ok(!full.text.includes('more tracks'), full.text.slice(-300));
});
