import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingLogger, redisForTests, waitUntil } from '@ingest/testkit';
import { ConnectionClosedError } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './contracts';
import { openQueue, openWorker } from './queues';
import { createRedis, KEY_PREFIX } from './redis-connection';
import { RedisOutage } from './redis-outage';
import { isConnectionError } from './worker-errors';

const own = redisForTests();

/** How many clients wait in a blocking command on the server. */
async function blockedClients(client: Redis): Promise<number> {
  const info = await client.info('clients');
  return Number(/^blocked_clients:(\d+)/m.exec(info)?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const withCode = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

test('broken connections are told apart from errors Redis answers', () => {
  assert.ok(isConnectionError(withCode('ECONNREFUSED')));
  assert.ok(isConnectionError(withCode('ECONNRESET')));
  assert.ok(isConnectionError(withCode('ETIMEDOUT')));
  assert.ok(isConnectionError(withCode('EPIPE')));
  assert.ok(isConnectionError(new Error('Connection is closed.')));
  assert.ok(isConnectionError(new ConnectionClosedError()));
  assert.ok(isConnectionError(new AggregateError([withCode('ECONNREFUSED')])));
  assert.ok(
    isConnectionError(new Error('moveToActive', { cause: withCode('EPIPE') })),
  );

  const wrongType = new Error(
    'WRONGTYPE Operation against a key holding the wrong kind of value',
  );
  assert.equal(isConnectionError(wrongType), false);
  assert.equal(isConnectionError(new Error('ERR user_script:12: bad')), false);
  assert.equal(isConnectionError('ECONNREFUSED'), false);
});

test('a Redis outage is one warning; workers add no error line', async () => {
  const log = recordingLogger();
  const outage = new RedisOutage(log.logger);
  const command = createRedis(own.server.url, 'command', outage);
  const connection = createRedis(own.server.url, 'worker', outage);
  const worker = openWorker('index', connection, async () => 'done', {
    logger: log.logger,
  });
  void worker.run();
  await worker.waitUntilReady();
  await command.ping();
  const reconnecting = () =>
    log.at('debug').filter((l) => l.message === 'worker reconnecting');
  // Its error events, at whatever level logged: more than one, so the
  // outage is told once however often the worker meets it.
  const metOutage = () =>
    reconnecting().length + log.at('error').length >= 3;

  try {
    await own.server.stop('SIGKILL');
    try {
      // Down until the worker itself has met the outage, not for a while.
      await waitUntil(metOutage, {
        timeoutMs: 10_000,
        message: 'the worker never met the outage',
      });
    } finally {
      await own.server.resume();
    }
    await waitUntil(() => log.at('info').length > 0, { timeoutMs: 10_000 });
    // The blocking connection comes back on its own schedule (up to 2 s
    // between tries): the worker is back once it blocks on its queue.
    await waitUntil(async () => (await blockedClients(command)) > 0, {
      timeoutMs: 10_000,
      message: 'the worker never waited on its queue again',
    });
  } finally {
    await worker.close();
    command.disconnect();
    connection.disconnect();
  }

  assert.deepEqual(log.at('error'), []);
  assert.deepEqual(
    log.lines.filter((l) => l.level !== 'debug').map((l) => l.message),
    ['redis connection lost', 'redis connection back'],
  );
  assert.ok(reconnecting().length > 0, 'reconnects are kept at debug');
});

test('an error Redis answers the worker with is logged at error', async () => {
  const log = recordingLogger();
  // The marker key a worker blocks on, made the wrong type.
  await own.redis.set(`${KEY_PREFIX}:${QUEUES.completion}:marker`, 'x');
  const connection = createRedis(own.server.url, 'worker');
  const worker = openWorker('completion', connection, async () => 'done', {
    logger: log.logger,
  });
  void worker.run();
  try {
    await waitUntil(() => log.at('error').length > 0, { timeoutMs: 10_000 });
  } finally {
    await worker.close();
    connection.disconnect();
  }
  assert.equal(log.at('error')[0].message, 'worker error');
  const { err } = log.at('error')[0].fields as { err: Error };
  assert.match(err.message, /WRONGTYPE/);
});

test('a run that outlives its lock is one warning per job, no error', async () => {
  const log = recordingLogger();
  const connection = createRedis(own.server.url, 'worker');
  const queue = openQueue('index', own.redis);
  let runs = 0;
  // The run loses its lock as a Redis pause past the lock would
  // leave it: the lock key gone while the run goes on.
  const worker = openWorker(
    'index',
    connection,
    async (job) => {
      runs += 1;
      await own.redis.del(`${KEY_PREFIX}:${QUEUES.index}:${job.id}:lock`);
      await sleep(1_500);
      return 'done';
    },
    { logger: log.logger, lockDurationMs: 1_000 },
  );
  void worker.run();
  const job = await queue.add('index', { trackId: 1, op: 'add' });
  try {
    await waitUntil(() => log.lines.some((l) => l.message.startsWith('job lock lost')), {
      timeoutMs: 15_000,
      message: () => `no lock lost line: ${JSON.stringify(log.lines)}`,
    });
    // Its other steps (a fail, a retry) meet the same lost lock.
    await sleep(1_000);
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
  }

  assert.deepEqual(log.at('error'), []);
  const said = (text: string) =>
    log.at('warn').filter((line) => line.message.startsWith(text));
  const notRenewed = said('job lock not renewed');
  assert.equal(notRenewed.length, 1, JSON.stringify(log.lines));
  assert.equal((notRenewed[0].fields as { bullJobId: string }).bullJobId, job.id);
  const lost = said('job lock lost');
  assert.equal(lost.length, 1, JSON.stringify(log.lines));
  assert.equal(
    (lost[0].fields as { err: string }).err,
    `Missing lock for job ${job.id}. moveToFinished`,
  );
  assert.equal(runs, 1);
});
