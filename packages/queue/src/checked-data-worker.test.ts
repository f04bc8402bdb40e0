import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { RedisServer, recordingLogger, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { dataRefusalOf } from './checked-data-worker';
import { openQueue, openWorker } from './queues';
import { createRedis, KEY_PREFIX } from './redis-connection';

let server: RedisServer;
let redis: Redis;
let blocking: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = createRedis(server.url);
  blocking = createRedis(server.url, 'worker');
});

after(async () => {
  redis.disconnect();
  blocking.disconnect();
  await server.close();
});

const KEY = `${KEY_PREFIX}:imports`;
const refusal = new Error('options refused');

// BullMQ parsed a job's options as the job was handed over, before any
// check of ours: options that were not JSON threw there, in the worker's
// fetch or in the completion of the job run before it (which fetches
// the next), and the job sat active until the stalled check.
test('a job whose stored options are not JSON is refused at once', async () => {
  const queue = openQueue('imports', redis);
  const log = recordingLogger();
  const runs: Array<{ id?: string; refused?: string }> = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const worker = openWorker(
    'imports',
    blocking,
    async (job) => {
      runs.push({ id: job.id, refused: dataRefusalOf(job)?.message });
      if (job.id === 'first') await held;
      const refused = dataRefusalOf(job);
      if (refused) throw new UnrecoverableError(refused.message);
      return 'done';
    },
    {
      concurrency: 1,
      logger: log.logger,
      dataCheck: () => undefined,
      optsRefusal: refusal,
    },
  );
  try {
    const payload = { v: 1 as const, siteId: 1, source: { url: 'x' } };
    await queue.add('import', payload, { jobId: 'first' });
    void worker.run();
    await waitUntil(() => runs.length === 1, { timeoutMs: 10_000 });

    // Written as any Redis client can, while `first` runs: the worker
    // meets it as the next job when `first` completes.
    await redis.hset(`${KEY}:bad-opts`, {
      name: 'import',
      data: JSON.stringify(payload),
      opts: 'not json',
      timestamp: String(Date.now()),
      delay: '0',
      priority: '0',
    });
    await redis.lpush(`${KEY}:wait`, 'bad-opts');
    await queue.add('import', payload, { jobId: 'last' });
    release();

    await waitUntil(async () => (await queue.getJobState('last')) === 'completed', {
      timeoutMs: 10_000,
    });
    assert.equal(await queue.getJobState('first'), 'completed');
    assert.deepEqual(log.at('error'), []);
    assert.deepEqual(runs, [
      { id: 'first', refused: undefined },
      { id: 'bad-opts', refused: 'options refused' },
      { id: 'last', refused: undefined },
    ]);
    // Readable by any BullMQ client again, and failed on its first run.
    assert.equal(await redis.hget(`${KEY}:bad-opts`, 'opts'), '{}');
    const bad = await queue.getJob('bad-opts');
    assert.equal(await bad?.getState(), 'failed');
    assert.equal(bad?.failedReason, 'options refused');
    assert.equal(bad?.attemptsStarted, 1);
  } finally {
    await worker.close();
    await queue.close();
  }
});
