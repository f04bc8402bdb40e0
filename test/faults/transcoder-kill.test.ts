/**
 * Fault: a transcoder is killed with SIGKILL while its ffmpeg runs. The
 * other transcoder takes the run back once the lock lapses; one track
 * results, no temp file is left, nothing stays active in the queue.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestStack, serveFiles, type LoopbackServer } from '@ingest/testkit';
import {
  ffmpegChildOf,
  filesUnder,
  isRunning,
  makeLongFlac,
  publishUpload,
  queueCounts,
  sleep,
  waitUntil,
} from './fault-kit';
import { workDirOf } from '../../services/transcoder/src/work-dirs';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-kill-'));
  // Long and hi-res, so that ffmpeg runs for seconds.
  await makeLongFlac(path.join(dir, 'long.flac'));
  files = await serveFiles(dir);
  stack = await TestStack.start({
    transcoders: 2,
    env: { INGEST_TRANSCODE_LOCK: '3s', TRANSCODER_CONCURRENCY: '1' },
  });
});

after(async () => {
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

test('SIGKILL mid-ffmpeg: a peer finishes the upload once', async () => {
  const { site, call, jobId } = await publishUpload(
    stack,
    `${files.url}/long.flac`,
  );

  const transcoders = stack.services.filter((s) => s.name === 'transcoder');
  const [victim, ffmpegPid] = await waitUntil('an ffmpeg run', async () => {
    for (const service of transcoders) {
      const ffmpeg = await ffmpegChildOf(service.child.pid!);
      if (ffmpeg) return [service, ffmpeg] as const;
    }
    return undefined;
  }, 120_000, 50);
  const before = await call('checkJob', { job_id: jobId });
  assert.equal(before.body.i, 1, 'the upload is transcoding');
  const victimPid = victim.child.pid!;

  // Let ffmpeg write some output first, then kill only the transcoder.
  await sleep(1_000);
  assert.ok(await isRunning(ffmpegPid), 'ffmpeg still runs at the kill');
  const killedAt = Date.now();
  assert.equal(await victim.stop('SIGKILL'), null);

  // ffmpeg is not in our process's group; its pipes to the dead parent
  // break, so it should die on its own (SIGPIPE) soon after.
  const orphanEnded = await waitUntil(
    'the orphaned ffmpeg to end',
    async () => !(await isRunning(ffmpegPid)) && Date.now(),
    60_000,
    20,
  );
  const orphanMs = orphanEnded - killedAt;

  const done = await stack.waitForJob(site.token, jobId, 300_000);
  const recoveredMs = Date.now() - killedAt;
  assert.equal(done.d, 1, JSON.stringify(done));
  assert.equal(done.e, 0, JSON.stringify(done));

  const list = await call('list', { job_id: jobId });
  assert.equal(list.body.tracks.length, 1);
  const trackId = list.body.tracks[0].track_id;
  assert.ok(trackId > 0, JSON.stringify(list.body));
  const trackKeys = await stack.redis.keys('{ingest}:track:*');
  assert.deepEqual(trackKeys, [`{ingest}:track:${trackId}`]);
  const stored = await readdir(path.join(stack.dataDir, 'storage', 'tracks'));
  assert.deepEqual(stored, [String(trackId)]);
  // Those its record names: each run stores under keys of its own.
  const record = await stack.store.getTrack(site.id, trackId);
  const named = Object.values(record?.renditions ?? {});
  assert.deepEqual(named.map((r) => r.format).sort(), ['flac', 'mp3', 'wav']);
  assert.deepEqual(
    (await filesUnder(path.join(stack.dataDir, 'storage', 'tracks'))).sort(),
    named.map((r) => r.storageKey.replace(/^tracks\//, '')).sort(),
  );

  // No temp files: the dead transcoder's work dir was swept by its peer,
  // and the storage's temp folder is empty.
  const work = path.join(stack.dataDir, 'work');
  const workDirs = await readdir(work);
  const victimDir = path.basename(workDirOf('', victimPid));
  assert.ok(!workDirs.includes(victimDir), String(workDirs));
  assert.deepEqual(await filesUnder(work), []);
  assert.deepEqual(
    await filesUnder(path.join(stack.dataDir, 'storage', '.tmp')),
    [],
  );

  const counts = await queueCounts(stack.redis);
  assert.equal(counts.transcode.active, 0);
  assert.equal(counts.transcode.failed, 0);
  assert.equal(counts.transcode.completed, 1);

  console.log(
    `# observed: orphan ffmpeg ended ${orphanMs} ms after the kill; ` +
      `job complete ${recoveredMs} ms after the kill`,
  );
});
