import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRedis, openQueue, type TypedJob } from '@ingest/queue';
import { StateStore, keys } from '@ingest/state';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { createCompletionProcessor } from './completion-processor';
import { DeliveryJobs } from './delivery-jobs';
import { completedJob, memoryLogger } from './test-support';

// The soak found every job's event kept, also of jobs that tell no one.

let server: RedisServer;
let redis: Redis;
let store: StateStore;
const webhooks = () => openQueue('webhook', redis);
const emails = () => openQueue('email', redis);
let queues: [ReturnType<typeof webhooks>, ReturnType<typeof emails>];
let run: ReturnType<typeof createCompletionProcessor>;

before(async () => {
  server = await RedisServer.start();
  redis = createRedis(server.url);
  store = new StateStore(redis);
  queues = [webhooks(), emails()];
  run = createCompletionProcessor({
    store,
    jobs: new DeliveryJobs(...queues),
    logger: memoryLogger().logger,
    publicUrl: 'http://ingest.test',
  });
});

after(async () => {
  await Promise.all(queues.map((q) => q.close()));
  redis.disconnect();
  await server.close();
});

const completion = (jobId: number) =>
  ({ data: { jobId }, attemptsMade: 0 }) as TypedJob<'completion'>;

test('a job that tells no one keeps no event', async () => {
  const { job } = await completedJob(store);
  const result = await run(completion(job.id));
  assert.equal(result.deliveries, 0);
  assert.equal(await redis.exists(keys.jobEvent(job.id)), 0);
  // Run again (a retried completion): still nothing stored.
  await run(completion(job.id));
  assert.equal(await redis.exists(keys.jobEvent(job.id)), 0);
});

test('a job with a target keeps its event for the deliveries', async () => {
  const { job } = await completedJob(store, {
    oncomplete: 'http://127.0.0.1:9/hook',
  });
  const result = await run(completion(job.id));
  assert.equal(result.deliveries, 1);
  const stored = await store.deliveries.getEvent(job.id);
  assert.equal(JSON.parse(stored ?? '{}').job_id, job.id);
  assert.equal(await queues[0].getJobCountByTypes('waiting'), 1);
});
