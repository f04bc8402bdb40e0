import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisServer, recordingLogger, waitUntil } from '@ingest/testkit';
import { createRedis } from './redis-connection';
import { RedisOutage } from './redis-outage';

let server: RedisServer;
let stopped = false;

before(async () => {
  server = await RedisServer.start();
});

after(async () => {
  if (stopped) process.kill(server.pid!, 'SIGCONT');
  await server.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection whose answers an outage watch follows, and its log. */
async function watched(stallAfterMs: number) {
  const log = recordingLogger();
  const outage = new RedisOutage(log.logger, { stallAfterMs, pingEveryMs: 50 });
  const redis = createRedis(server.url, 'command', outage);
  await redis.ping();
  outage.watchAnswers(redis);
  const close = () => {
    outage.close();
    redis.disconnect();
  };
  return { log, close };
}

test('a Redis that stops answering is one warning, then one line back', async () => {
  const { log, close } = await watched(300);
  try {
    process.kill(server.pid!, 'SIGSTOP');
    stopped = true;
    // Many PING periods and stall windows: still one line.
    await sleep(2_000);
    assert.deepEqual(
      log.lines.map((l) => [l.level, l.message, l.fields]),
      [['warn', 'redis not answering', { waitedMs: 300 }]],
    );
    process.kill(server.pid!, 'SIGCONT');
    stopped = false;
    await waitUntil(() => log.lines.length > 1, { timeoutMs: 5_000 });
    await sleep(500);
  } finally {
    close();
  }

  assert.deepEqual(
    log.lines.map((l) => l.message),
    ['redis not answering', 'redis answering again'],
  );
  const { stalledMs } = log.lines[1].fields as { stalledMs: number };
  assert.ok(stalledMs >= 1_500, String(stalledMs));
});

test('an answer within the stall window logs nothing', async () => {
  // A window far longer than the 400 ms stop, so a loaded machine's late
  // timers cannot stretch the stop past it.
  const { log, close } = await watched(5_000);
  try {
    process.kill(server.pid!, 'SIGSTOP');
    stopped = true;
    await sleep(400);
    process.kill(server.pid!, 'SIGCONT');
    stopped = false;
    await sleep(1_500);
  } finally {
    close();
  }
  assert.deepEqual(log.lines, []);
});
