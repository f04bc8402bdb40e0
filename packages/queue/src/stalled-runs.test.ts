import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Registry } from 'prom-client';
import { recordingLogger, redisForTests, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { openQueue, openWorker } from './queues';
import { countWorkerJobs } from './queue-metrics';

const own = redisForTests();
/** Workers block on their own connection kind. */
let blocking: Redis;

before(async () => {
  await own.started;
  blocking = own.client('worker');
});

// A run taken back from a worker that died ran again under the same
// attempt number, and nothing said the first one was lost.
test('a run taken back after its lock lapsed is logged and counted', async () => {
  const queue = openQueue('index', own.redis);
  const log = recordingLogger();
  const processed: string[] = [];
  // The worker that "dies": it takes the job and never renews its lock.
  const dead = openWorker('index', blocking, async () => undefined, {
    logger: log.logger,
    lockDurationMs: 500,
  });
  const alive = openWorker(
    'index',
    blocking,
    async (job) => {
      processed.push(job.id ?? '');
    },
    { logger: log.logger, lockDurationMs: 500 },
  );
  const registry = new Registry();
  countWorkerJobs(registry, alive);
  try {
    const job = await queue.add('index', { trackId: 1, op: 'add' }, { jobId: 'stall-1' });
    const taken = await dead.getNextJob('dead-token');
    assert.equal(taken?.id, job.id);

    void alive.run();
    await waitUntil(() => processed.includes('stall-1'), { timeoutMs: 20_000 });

    const stalled = log.at('warn').find((l) => l.message === 'job stalled; taken back');
    assert.deepEqual(stalled?.fields, { queue: 'index', bullJobId: 'stall-1' });
    const text = await registry.metrics();
    assert.match(text, /^ingest_jobs_total\{queue="index",outcome="stalled"\} 1$/m);
  } finally {
    await alive.close();
    await dead.close(true);
    await queue.close();
  }
});
