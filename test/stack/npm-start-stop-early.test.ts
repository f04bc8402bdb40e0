/**
 * Ctrl-C while `npm start` is still starting the services: the one
 * being started was unknown to the stop until it was ready, so Redis
 * went first ("redis connection lost" from it) and it was left running,
 * orphaned, after npm start had ended. And the data dir a first start
 * had just made was left half-made (an empty Redis, a marked store).
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, waitUntil } from '@ingest/testkit';
import { pidRunning, processesOf, stackPorts, startStack } from './stack-processes';

test('Ctrl-C during start-up stops every process, Redis last', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-stop-early-'));
  const dataDir = path.join(dir, 'data');
  const stack = startStack({
    INGEST_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  });
  try {
    // Redis runs; the first service is starting, not ready yet.
    await waitUntil(() => pidRunning(dataDir, 'dist/transcoder.mjs'), {
      timeoutMs: 120_000,
      intervalMs: 20,
      message: 'npm start never started the transcoder',
    });
    assert.doesNotMatch(stack.output(), /transcoder running/, 'caught too late');
    await stack.stop();

    // Given a moment, any process left behind would still be there (and
    // holding the script's output pipe, so that it never closes).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(await processesOf(dataDir), [], 'processes left running');
    assert.equal(await stack.outcome, 0, stack.output());
    assert.doesNotMatch(stack.output(), /redis connection lost/);
    assert.doesNotMatch(stack.output(), /catalog-ingest is running/);
  } finally {
    await stack.stop();
    for (const pid of await processesOf(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('a first start stopped early removes its data dir; the next one starts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-stop-fresh-'));
  const dataDir = path.join(dir, 'data');
  const env = { INGEST_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(await stackPorts()) };
  const first = startStack(env);
  let next: ReturnType<typeof startStack> | undefined;
  try {
    // Redis and two services ran: the store is marked for that Redis.
    await waitUntil(() => pidRunning(dataDir, 'dist/gateway.mjs'), {
      timeoutMs: 120_000,
      intervalMs: 20,
      message: 'npm start never started the gateway',
    });
    await access(path.join(dataDir, 'redis'));
    await first.stop();
    assert.equal(await first.outcome, 0, first.output());
    await assert.rejects(access(dataDir), { code: 'ENOENT' }, 'data dir left');
    await access(dir);

    next = startStack(env);
    assert.equal(await next.outcome, 'banner', next.output());
  } finally {
    await next?.stop();
    await first.stop();
    for (const pid of await processesOf(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
