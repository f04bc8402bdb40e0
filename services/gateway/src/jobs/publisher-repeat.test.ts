/**
 * A repeat publish naming an `oncomplete`, for a job that completes
 * while the call runs: the job was read as `publishing`, but its
 * deliveries are planned by the time the target would be set. The call
 * answers `job_closed`, as it would a moment later, instead of a 200
 * for a target no one will ever tell.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ApiError } from '@ingest/core';
import { openQueue } from '@ingest/queue';
import { StateStore, UpdateStore } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import { Publisher } from './publisher';

const queues: Array<{ close(): Promise<void> }> = [];
const own = redisForTests({
  closeFirst: async () => {
    for (const queue of queues) await queue.close();
  },
});
let store: StateStore;
let publisher: Publisher;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  const transcode = openQueue('transcode', own.redis);
  const checks = openQueue('autopublish', own.redis);
  queues.push(transcode, checks);
  publisher = new Publisher(store, transcode, new UpdateStore(own.redis), checks);
});

test('a repeat publish of a job that completed meanwhile sets no target', async () => {
  const site = await store.createSite({
    name: 'repeat',
    token: 'repeat-token',
    webhookSecret: 'whsec_x',
  });
  const job = await store.createJob(site.id, { name: 'repeat' });
  const source = {
    format: 'wav',
    storageKey: 'sources/r.wav',
    filename: 'r.wav',
    bytes: 10,
    sha256: 'r',
  };
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source },
    meta: {},
  });
  assert.ok(typeof upload === 'object' && 'id' in upload);
  await store.publish(job.id);

  // The call read the job while it was publishing; its last upload is
  // done before the call sets the target.
  const read = await store.jobById(job.id);
  assert.equal(read?.state, 'publishing');
  await store.moveUpload(upload, 'published');
  assert.equal((await store.jobById(job.id))?.state, 'complete');

  await assert.rejects(
    publisher.publish(read!, undefined, 'http://127.0.0.1:9/hook'),
    (err: unknown) => err instanceof ApiError && err.code === 'job_closed',
  );
  assert.equal((await store.jobById(job.id))?.oncomplete, undefined);
});

test('a repeat publish of a job still publishing sets its target', async () => {
  const site = await store.createSite({
    name: 'repeat-2',
    token: 'repeat-token-2',
    webhookSecret: 'whsec_x',
  });
  const job = await store.createJob(site.id, { name: 'repeat-2' });
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: {},
    meta: {},
  });
  assert.ok(typeof upload === 'object' && 'id' in upload);
  await store.publish(job.id);

  const read = await store.jobById(job.id);
  assert.deepEqual(
    await publisher.publish(read!, undefined, 'http://127.0.0.1:9/hook'),
    { queued: 1 },
  );
  const after = await store.jobById(job.id);
  assert.equal(after?.oncomplete, 'http://127.0.0.1:9/hook');
});
