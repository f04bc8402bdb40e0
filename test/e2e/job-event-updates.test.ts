/**
 * End to end: the completion event, and `list`, of a job that holds
 * deferred track updates. Such updates count in the job's `counts` like
 * uploads (checkJob's `d` and `e`), so both name each of them too, apart
 * from the job's uploads: a receiver told `e: 1` finds the failure in
 * the event's `updates`, and one told `d: 1` the track whose files
 * changed; `tracks` and `errors` stay the job's uploads (SPEC §4), so a
 * client that reads them by `upload_id` is not told that an upload it
 * saw published failed. `list` shows them under `updates`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  startFixtureStack,
  webhookReceiver,
  type FixtureStack,
  type WebhookReceiver,
} from '@ingest/testkit';
import { tone, trackCalls } from './track-kit';

let fixture: FixtureStack;
let hooks: WebhookReceiver;
const { call, upload, publishAndWait, publishedTrack } = trackCalls(
  () => fixture,
);

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'one.wav', 440, { seconds: 2 });
      await tone(dir, 'two.wav', 660, { seconds: 2 });
      await tone(dir, 'new-one.wav', 880, { seconds: 2 });
      // Longer than the track's wav it would sit beside: refused.
      await tone(dir, 'longer.wav', 990, { seconds: 5 });
    },
  });
  hooks = await webhookReceiver(fixture.site.secret);
});

after(async () => {
  await hooks?.close();
  await fixture?.close();
});

test("a job's updates are in its event: one published, one errored", async () => {
  const first = await publishedTrack('one.wav');
  const second = await publishedTrack('two.wav');
  const job = await call('createJob', { name: 'updates' });
  const jobId = job.body.job_id as number;

  const replaced = await upload('new-one.wav', {
    track_id: first,
    job_id: jobId,
    oncomplete: hooks.url,
  });
  assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
  const refused = await upload('longer.wav', {
    track_id: second,
    job_id: jobId,
    format: 'mp3',
  });
  assert.equal(refused.status, 200, JSON.stringify(refused.body));

  const done = await publishAndWait(jobId);
  assert.deepEqual([done.d, done.e], [1, 1], JSON.stringify(done));
  const [event] = await hooks.waitFor(1);
  const body = event.body as any;
  assert.deepEqual(body.counts, { q: 0, i: 0, d: 1, e: 1 });

  assert.deepEqual([body.tracks, body.errors], [[], []], JSON.stringify(body));
  const updates = body.updates.map((u: any) => [u.update_id, u.track_id, u.status]);
  assert.deepEqual(updates, [
    [replaced.body.update_id, first, 'published'],
    [refused.body.update_id, second, 'error'],
  ]);
  assert.deepEqual(Object.keys(body.updates[0].formats).sort(), ['mp3', 'wav']);
  assert.equal(body.updates[1].error_code, 'verification_failed');
  assert.match(body.updates[1].error, /lasts/);

  const listed = await call('list', { job_id: jobId });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.deepEqual(listed.body.tracks, []);
  assert.deepEqual(
    listed.body.updates.map((u: any) => [u.update_id, u.track_id, u.status]),
    [
      [replaced.body.update_id, first, 'published'],
      [refused.body.update_id, second, 'error'],
    ],
  );
  assert.equal(listed.body.updates[1].error_code, 'verification_failed');
});
