/**
 * Fault: Redis stops answering (SIGSTOP) for longer than the transcode
 * lock while ffmpeg runs. The run's lock lapses, the stalled check
 * gives the job back, and the run that goes on cannot finish the job:
 * BullMQ emits an error for each failed renewal and each step of the
 * end it tries. The transcoder tells each job once, as warnings without
 * a stack, and the upload is still published once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestStack, serveFiles, type LoopbackServer } from '@ingest/testkit';
import {
  collectLines,
  ffmpegChildOf,
  makeLongFlac,
  publishUpload,
  queueCounts,
  sleep,
  waitUntil,
} from './fault-kit';

const STALL_MS = 8_000;

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let stopped: number | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-stall-lock-'));
  // Long and hi-res, so that ffmpeg runs past the stall.
  await makeLongFlac(path.join(dir, 'long.flac'));
  files = await serveFiles(dir);
  stack = await TestStack.start({
    env: {
      INGEST_TRANSCODE_LOCK: '3s',
      TRANSCODER_CONCURRENCY: '1',
      LOG_LEVEL: 'info',
    },
  });
});

after(async () => {
  if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a stall past the lock: one warning per job, no stack, one track', async () => {
  const transcoder = stack.services.find((s) => s.name === 'transcoder')!;
  const lines = collectLines([transcoder]);
  const { site, jobId } = await publishUpload(stack, `${files.url}/long.flac`);

  await waitUntil(
    'an ffmpeg run',
    () => ffmpegChildOf(transcoder.child.pid!),
    120_000,
    50,
  );
  stopped = stack.redisServer.pid!;
  process.kill(stopped, 'SIGSTOP');
  await sleep(STALL_MS);
  process.kill(stopped, 'SIGCONT');
  stopped = undefined;

  const done = await stack.waitForJob(site.token, jobId, 300_000);
  assert.equal(done.d, 1, JSON.stringify(done));
  assert.equal(done.e, 0, JSON.stringify(done));
  // The run given back may still run again after the job is complete.
  const counts = await waitUntil('no transcode active', async () => {
    const found = await queueCounts(stack.redis);
    return found.transcode.active === 0 && found;
  }, 120_000, 200);
  assert.equal(counts.transcode.failed, 0);
  await sleep(1_000);

  const shown = lines.map((line) => JSON.stringify(line)).join('\n');
  const errors = lines.filter((line) => line.level >= 50);
  assert.deepEqual(errors, [], `error lines:\n${shown}`);
  const said = (text: string) => lines.filter((l) => l.msg.startsWith(text));
  assert.ok(said('job lock').length > 0, `no lock line:\n${shown}`);
  assert.ok(said('job lock not renewed').length <= 1, shown);
  assert.ok(said('job lock lost').length <= 1, shown);
  for (const line of said('job lock')) {
    assert.equal(line.level, 40);
    assert.equal(typeof line.err, line.err === undefined ? 'undefined' : 'string');
  }
  console.log(
    `# observed: ${lines.length} transcoder lines; lock lines: ` +
      said('job lock').map((l) => l.msg.split(';')[0]).join(', '),
  );
});
