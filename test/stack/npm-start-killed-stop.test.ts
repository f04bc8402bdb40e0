/**
 * `npm start` killed outright (SIGKILL) while a transcode runs: the next
 * start refuses, naming what is left and how to stop it. Its advice was
 * one `kill` of Redis and the services together, so Redis went while the
 * transcoder drained, the run could not be handed back, and the job
 * stayed active until the stall check of a later start, a minute on.
 * Following the advice now leaves the job waiting, handed back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { IngestClient } from '@ingest/client';
import { createRedis } from '@ingest/queue';
import {
  RedisServer,
  ffmpegWrapper,
  hangWhenArgument,
  makeTone,
  serveFiles,
  waitUntil,
} from '@ingest/testkit';
import { isRunning, queueCounts } from '../faults/fault-kit';
import {
  assertRefusedPlainly,
  bannerLine,
  processesOf,
  runInRepo,
  stackPorts,
  startStack,
} from './stack-processes';

test('the stop a refused start advises lets a running transcode hand back', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-killed-stop-'));
  const dataDir = path.join(dir, 'data');
  await makeTone(path.join(dir, 'a.wav'), { seconds: 1 });
  const files = await serveFiles(dir);
  // Every transcoder run (its output goes to its work dir) hangs.
  const ffmpeg = await ffmpegWrapper(
    path.join(dir, 'ffmpeg'),
    hangWhenArgument('*/work/transcoder-*'),
  );
  const env = {
    INGEST_DATA_DIR: dataDir,
    ...(await stackPorts()),
    FFMPEG_PATH: ffmpeg,
    // Runs are handed back 3 s into a stop.
    INGEST_SHUTDOWN_TIMEOUT: '6s',
    LOG_LEVEL: 'warn',
  };
  const first = startStack(env);
  let second: ReturnType<typeof startStack> | undefined;
  let redis: RedisServer | undefined;
  try {
    assert.equal(await first.outcome, 'banner', first.output());
    await waitUntil(() => first.output().includes('Ctrl-C stops everything'), {
      timeoutMs: 10_000,
    });
    const client = new IngestClient({
      url: bannerLine(first.output(), 'API').replace(/\/api\/.*$/, ''),
      token: bannerLine(first.output(), 'token'),
    });
    await client.upload({ url: `${files.url}/a.wav` });
    await client.publish();
    const connection = createRedis(bannerLine(first.output(), 'redis'));
    try {
      await waitUntil(async () => (await queueCounts(connection)).transcode.active === 1, {
        timeoutMs: 60_000,
        message: () => `no transcode started:\n${first.output()}`,
      });
    } finally {
      connection.disconnect();
    }
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => !(await isRunning(first.pid)), { timeoutMs: 5_000 });

    second = startStack(env);
    await assertRefusedPlainly(second, /Stop them with `[^`]+`/);
    const command = /Stop them with `([^`]+)`/.exec(second.errors())![1];
    assert.match(command, /npm run stack:stop-leftovers$/);
    const stopped = await runInRepo(command);
    assert.equal(stopped.code, 0, stopped.output);
    assert.match(stopped.output, /stopped: npm start may start on this data dir again/);
    assert.deepEqual(await processesOf(dataDir), [], 'processes left running');

    // The Redis data as the stop left it: the run was handed back.
    redis = await RedisServer.start({ dir: path.join(dataDir, 'redis') });
    const reopened = createRedis(redis.url);
    try {
      const { transcode } = await queueCounts(reopened);
      assert.equal(transcode.active, 0, JSON.stringify(transcode));
      assert.equal(transcode.delayed + transcode.waiting, 1, JSON.stringify(transcode));
    } finally {
      reopened.disconnect();
    }
  } finally {
    await redis?.close();
    await second?.stop();
    await first.stop();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await files.close();
    await rm(dir, { recursive: true, force: true });
  }
});
