/**
 * End to end: an upload or track update the call stored, then failed a
 * later step for (here its autopublish mark: Redis refuses it, the job's
 * set of marks made a string), keeps its source. The answer says it was
 * stored and to publish the job; the source had been removed all the
 * same (a multipart upload's by the call's own catch, an update's by
 * the update service), so the publish it asked for errored them.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys } from '@ingest/state';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'first.wav'), { seconds: 1 });
      await makeTone(path.join(dir, 'second.wav'), { seconds: 1, frequency: 880 });
    },
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

/** A job whose autopublish marks Redis refuses (WRONGTYPE). */
async function jobThatCannotMark(): Promise<number> {
  const { body } = await call('createJob', { name: 'unmarkable' });
  await fixture.stack.redis.set(keys.jobAutopublish(body.job_id), 'not a set');
  return body.job_id;
}

/** Lets the job mark again, publishes it and waits for its end. */
async function publishAfterAll(jobId: number) {
  await fixture.stack.redis.del(keys.jobAutopublish(jobId));
  const published = await call('publish', { job_id: jobId });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  return fixture.stack.waitForJob(fixture.site.token, jobId);
}

function assertStoredButUnscheduled(
  answer: { status: number; body: { error?: string } },
  what: string,
) {
  assert.equal(answer.status, 500, JSON.stringify(answer.body));
  assert.match(answer.body.error ?? '', new RegExp(`^${what} \\d+ was stored, but`));
}

test('a multipart upload stored before its autopublish failed keeps its file', async () => {
  const jobId = await jobThatCannotMark();
  const form = new FormData();
  form.set('token', fixture.site.token);
  form.set('job_id', String(jobId));
  form.set('autopublish', '1');
  const wav = await readFile(path.join(fixture.dir, 'first.wav'));
  form.set('file', new Blob([wav]), 'first.wav');
  const res = await fetch(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    body: form,
  });
  const body = (await res.json()) as { error?: string };
  assertStoredButUnscheduled({ status: res.status, body }, 'upload');

  const done = await publishAfterAll(jobId);
  assert.deepEqual([done.d, done.e], [1, 0], JSON.stringify(done));
});

test('a track update stored before its autopublish failed keeps its source', async () => {
  const { body: first } = await call('upload', { url: `${fixture.files.url}/second.wav` });
  const { body: main } = await call('publish');
  await fixture.stack.waitForJob(fixture.site.token, main.job_id);
  const { body: listed } = await call('list', { job_id: main.job_id });
  const trackId = listed.tracks.find(
    (t: { upload_id: number }) => t.upload_id === first.upload_id,
  )?.track_id;
  assert.ok(trackId, JSON.stringify(listed));

  const jobId = await jobThatCannotMark();
  const update = await call('upload', {
    url: `${fixture.files.url}/first.wav`,
    track_id: trackId,
    job_id: jobId,
    autopublish: 1,
  });
  assertStoredButUnscheduled(update, 'track update');

  const done = await publishAfterAll(jobId);
  assert.deepEqual([done.d, done.e], [1, 0], JSON.stringify(done));
});
