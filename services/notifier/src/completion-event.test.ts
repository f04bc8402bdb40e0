import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { openQueue, type TypedJob } from '@ingest/queue';
import { StateStore, UpdateStore, keys } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import { createCompletionProcessor } from './completion-processor';
import { DeliveryJobs } from './delivery-jobs';
import { completedJob, memoryLogger } from './test-support';

// The soak found every job's event kept, also of jobs that tell no one.

let store: StateStore;
const webhooks = () => openQueue('webhook', own.redis);
const emails = () => openQueue('email', own.redis);
let queues: [ReturnType<typeof webhooks>, ReturnType<typeof emails>];
let run: ReturnType<typeof createCompletionProcessor>;
const own = redisForTests({
  closeFirst: () => Promise.all(queues.map((q) => q.close())),
});

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  queues = [webhooks(), emails()];
  run = createCompletionProcessor({
    store,
    updates: new UpdateStore(own.redis),
    jobs: new DeliveryJobs(...queues),
    logger: memoryLogger().logger,
    publicUrl: 'http://ingest.test',
  });
});

const completion = (jobId: number) =>
  ({ data: { jobId }, attemptsMade: 0 }) as TypedJob<'completion'>;

test('a job that tells no one keeps no event', async () => {
  const { job } = await completedJob(store);
  const result = await run(completion(job.id));
  assert.equal(result.deliveries, 0);
  assert.equal(await own.redis.exists(keys.jobEvent(job.id)), 0);
  // Run again (a retried completion): still nothing stored.
  await run(completion(job.id));
  assert.equal(await own.redis.exists(keys.jobEvent(job.id)), 0);
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
