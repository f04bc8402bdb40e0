import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingLogger, redisForTests, waitUntil } from '@ingest/testkit';
import { openWorker } from './queues';
import { createRedis, redisReadiness } from './redis-connection';
import { redisIsFull } from './redis-full';
import { RedisFullWatch } from './redis-full-watch';

const own = redisForTests();

/** Sets maxmemory below what Redis uses: every write is refused. */
async function fillRedis() {
  const info = await own.redis.info('memory');
  const used = Number(/^used_memory:(\d+)/m.exec(info)![1]);
  await own.redis.config('SET', 'maxmemory', String(Math.floor(used / 2)));
}

const makeRoom = () => own.redis.config('SET', 'maxmemory', '0');

test('readiness tells a full Redis from one with room', async () => {
  assert.deepEqual(await redisReadiness(own.redis), { ready: true });
  assert.equal(await redisIsFull(own.redis), false);
  await fillRedis();
  try {
    assert.equal(await redisIsFull(own.redis), true);
    assert.deepEqual(await redisReadiness(own.redis), {
      ready: false,
      reason: 'redis is full (maxmemory)',
    });
  } finally {
    await makeRoom();
  }
  assert.deepEqual(await redisReadiness(own.redis), { ready: true });
});

test('a full Redis is one line when it starts and one when it ends', async () => {
  const log = recordingLogger();
  const connection = createRedis(own.server.url, 'worker');
  const redisFull = new RedisFullWatch(own.redis, log.logger, { intervalMs: 100 });
  // A short lock: the workers look for stalled runs often, and meet the
  // full Redis each time, besides each retry of their loop.
  const workers = (['index', 'completion'] as const).map((name) =>
    openWorker(name, connection, async () => 'done', {
      logger: log.logger,
      redisFull,
      lockDurationMs: 300,
    }),
  );
  for (const worker of workers) void worker.run();
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));

  try {
    await fillRedis();
    try {
      await waitUntil(
        () => log.lines.filter((l) => l.level === 'debug').length >= 3,
        {
          timeoutMs: 20_000,
          message: () =>
            log.lines.map((l) => `${l.level} ${l.message}`).join('; '),
        },

      );
      assert.ok(redisFull.full);
    } finally {
      await makeRoom();
    }
    await waitUntil(() => !redisFull.full, { timeoutMs: 5_000 });
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    redisFull.close();
    connection.disconnect();
  }

  const told = log.not('debug');
  assert.deepEqual(
    told.map((line) => `${line.level} ${line.message}`),
    ['error redis is full (maxmemory)', 'info redis has room again'],
  );
  assert.match(told[0].fields.err, /^OOM command not allowed/);
  const { refusals, queues, fullMs } = told[1].fields;
  assert.ok(refusals >= 4, `refusals: ${refusals}`);
  assert.deepEqual(new Set(queues), new Set(['index', 'completion']));
  assert.ok(fullMs > 0);
});

test('where INFO is refused, a quiet spell ends the episode', async () => {
  // An ACL user that may not run INFO, as hardened setups have.
  await own.redis.call(
    'ACL', 'SETUSER', 'no-info', 'on', '>secret', '~*', '&*', '+@all', '-info',
  );
  const limited = createRedis(
    `redis://no-info:secret@127.0.0.1:${own.server.port}`,
  );
  const log = recordingLogger();
  const watch = new RedisFullWatch(limited, log.logger, {
    intervalMs: 50,
    quietMs: 500,
  });
  try {
    assert.equal(await redisIsFull(limited), undefined);
    await fillRedis();
    let refusal: unknown;
    try {
      refusal = await own.redis.set('some-key', 'x').catch((err) => err);
    } finally {
      await makeRoom();
    }
    const other = new Error('WRONGTYPE Operation against a key');
    assert.equal(watch.refused(other, { queue: 'index' }), false);
    assert.equal(watch.refused(refusal, { queue: 'index' }), true);
    assert.ok(watch.full);
    await waitUntil(() => !watch.full, { timeoutMs: 5_000 });
  } finally {
    watch.close();
    limited.disconnect();
  }
  assert.deepEqual(
    log.not('debug').map((line) => line.message),
    ['redis is full (maxmemory)', 'redis has room again'],
  );
});
