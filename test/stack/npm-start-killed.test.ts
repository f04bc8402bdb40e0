/**
 * `npm start` killed outright (SIGKILL, the OOM killer) leaves its
 * children running: they are in process groups of their own. The claim
 * on the data dir then names a dead process, so the next start on other
 * ports (the first ones still busy) took it over and ran a second
 * redis-server on the same append-only file as the one left behind. It
 * must refuse instead, naming what is left, and start once those went.
 * Started again as it was, on the same ports (which the services left
 * behind still hold), it said only `port in use`, not what holds them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RedisServer, waitUntil } from '@ingest/testkit';
import { commandOf, isRunning } from '../faults/fault-kit';
import { assertRefusedPlainly, processesOf, stackPorts, startStack } from './stack-processes';

async function ports() {
  return { ...(await stackPorts()), LOG_LEVEL: 'warn' };
}

/** Pids of redis-servers working in `dir`. */
async function redisServersIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await processesOf(path.dirname(dir))) {
    const command = await commandOf(pid);
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (command?.[0]?.includes('redis-server') && cwd === dir) pids.push(pid);
  }
  return pids;
}

/** The pids a refusal names, as `gateway (pid 12)`. */
function pidsNamed(line: string): number[] {
  return [...line.matchAll(/\(pid (\d+)\)/g)].map((match) => Number(match[1]));
}

test('a start after npm start was killed refuses while its Redis runs', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-killed-'));
  const dataDir = path.join(dir, 'data');
  const same = await ports();
  const first = startStack({ INGEST_DATA_DIR: dataDir, ...same });
  let second: ReturnType<typeof startStack> | undefined;
  try {
    assert.equal(await first.outcome, 'banner', first.output());
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => !(await isRunning(first.pid)), { timeoutMs: 5_000 });
    const left = await processesOf(dataDir);
    const [redisPid] = await redisServersIn(path.join(dataDir, 'redis'));
    assert.ok(redisPid, 'the killed start left its redis-server running');

    // The same command again, as a user would: the same ports.
    second = startStack({ INGEST_DATA_DIR: dataDir, ...same });
    await assertRefusedPlainly(
      second,
      new RegExp(
        `still has processes of an earlier npm start that was killed: ` +
          `.*redis-server \\(pid ${redisPid}\\).*Stop them with ` +
          '`INGEST_DATA_DIR=\\S+ npm run stack:stop-leftovers` \\(the services ' +
          'first.*; or kill [0-9 ]+, and once they have exited, kill ' +
          `${redisPid}\\), then start again$`,
      ),
    );
    const named = pidsNamed(second.errors());
    assert.ok(named.includes(redisPid), 'the redis-server is named');
    for (const pid of named) assert.ok(left.includes(pid), `pid ${pid} is no leftover`);
    assert.equal(named.length, 4, 'redis-server and the three services');
    assert.deepEqual(
      await redisServersIn(path.join(dataDir, 'redis')),
      [redisPid],
      'one redis-server on the append-only file',
    );

    // Once they are stopped, a start takes the data dir over.
    for (const pid of named) process.kill(pid, 'SIGTERM');
    await waitUntil(
      async () => (await Promise.all(named.map(isRunning))).every((up) => !up),
      { timeoutMs: 40_000 },
    );
    second = startStack({ INGEST_DATA_DIR: dataDir, ...(await ports()) });
    assert.equal(await second.outcome, 'banner', second.output());
  } finally {
    await second?.stop();
    await first.stop();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test('with a REDIS_URL, a killed start\'s services on the ports are named', async () => {
  // No redis-server of its own to find: its services alone hold the
  // ports, and the same command again said only `port in use`.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-killed-url-'));
  const dataDir = path.join(dir, 'data');
  const redis = await RedisServer.start();
  const env = { INGEST_DATA_DIR: dataDir, REDIS_URL: redis.url, ...(await ports()) };
  const first = startStack(env);
  let second: ReturnType<typeof startStack> | undefined;
  try {
    assert.equal(await first.outcome, 'banner', first.output());
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => !(await isRunning(first.pid)), { timeoutMs: 5_000 });

    second = startStack(env);
    await assertRefusedPlainly(
      second,
      new RegExp(
        `port in use on 127\\.0\\.0\\.1: PORT=${env.PORT}.*still has processes of an ` +
          'earlier npm start that was killed: .*gateway \\(pid \\d+\\).*' +
          'Stop them with `INGEST_DATA_DIR=\\S+ npm run stack:stop-leftovers` ' +
          '\\(or kill [0-9 ]+\\), then start again$',
      ),
    );
    const named = pidsNamed(second.errors());
    assert.equal(named.length, 3, 'the three services');
    for (const pid of named) process.kill(pid, 'SIGTERM');
    await waitUntil(
      async () => (await Promise.all(named.map(isRunning))).every((up) => !up),
      { timeoutMs: 40_000 },
    );
    second = startStack(env);
    assert.equal(await second.outcome, 'banner', second.output());
  } finally {
    await second?.stop();
    await first.stop();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await redis.close();
    await rm(dir, { recursive: true, force: true });
  }
});
