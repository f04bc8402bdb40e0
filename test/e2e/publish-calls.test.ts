/**
 * End to end: `publish` calls. With `oncomplete`, it replaces the job's
 * target only when the publish goes ahead (SPEC §1: a call that failed
 * did not do part of its work silently); calls that race to publish one
 * job all succeed, as a repeated publish does. The stack has no
 * transcoder, so a published job stays publishing while the test looks.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openQueue } from '@ingest/queue';
import { UpdateStore } from '@ingest/state';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { Publisher } from '@ingest/gateway/src/jobs/publisher';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 2),
    transcoders: 0,
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

const targetOf = async (jobId: number) =>
  (await fixture.stack.store.jobById(jobId))?.oncomplete;

test('a refused publish leaves oncomplete alone; an accepted one sets it', async () => {
  const created = await call('createJob', { name: 'side' });
  const jobId = created.body.job_id as number;

  const empty = await call('publish', {
    job_id: jobId,
    oncomplete: 'http://127.0.0.1:9/first',
  });
  assert.equal(empty.status, 409);
  assert.equal(empty.body.code, 'job_empty');
  assert.equal(await targetOf(jobId), undefined);

  const uploaded = await call('upload', {
    job_id: jobId,
    url: `${fixture.files.url}/tone-1.wav`,
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));

  const published = await call('publish', {
    job_id: jobId,
    oncomplete: 'http://127.0.0.1:9/second',
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assert.equal(published.body.oncomplete, 'http://127.0.0.1:9/second');
  assert.equal(await targetOf(jobId), 'http://127.0.0.1:9/second');

  // Publishing again while it runs is allowed, and a later value wins.
  const again = await call('publish', {
    job_id: jobId,
    oncomplete: 'ops@example.com',
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(await targetOf(jobId), 'ops@example.com');
});

test("an upload's oncomplete is the job's until a later value replaces it", async () => {
  const created = await call('createJob', { name: 'told' });
  const jobId = created.body.job_id as number;
  const upload = async (tone: number, oncomplete: string) => {
    const res = await call('upload', {
      job_id: jobId,
      url: `${fixture.files.url}/tone-${tone}.wav`,
      oncomplete,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  await upload(1, 'http://127.0.0.1:9/early');
  assert.equal(await targetOf(jobId), 'http://127.0.0.1:9/early');
  await upload(2, 'later@example.com');
  assert.equal(await targetOf(jobId), 'later@example.com');

  // A publish without oncomplete keeps the one the uploads set.
  const published = await call('publish', { job_id: jobId });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assert.equal(published.body.oncomplete, 'later@example.com');
});

test('a publish that lost the race to another is a repeat, not job_closed', async () => {
  const { store, redis } = fixture.stack;
  const created = await call('createJob', { name: 'raced' });
  const jobId = created.body.job_id as number;
  const uploaded = await call('upload', {
    job_id: jobId,
    url: `${fixture.files.url}/tone-2.wav`,
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));

  // The job as a second call read it, just before the first published.
  const stale = await store.jobById(jobId);
  assert.equal(stale?.state, 'open');
  const first = await call('publish', { job_id: jobId });
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const transcode = openQueue('transcode', redis);
  const checks = openQueue('autopublish', redis);
  try {
    const updates = new UpdateStore(redis);
    const publisher = new Publisher(store, transcode, updates, checks);
    const second = await publisher.publish(stale!, undefined, 'ops@example.com');
    assert.deepEqual(second, { queued: 1 });
    assert.equal(await targetOf(jobId), 'ops@example.com');
  } finally {
    await transcode.close();
    await checks.close();
  }
});
