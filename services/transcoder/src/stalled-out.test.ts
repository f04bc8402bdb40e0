/**
 * An upload whose transcode runs all died after storing their files:
 * each took the job, stored its renditions and never finished, and its
 * lock lapsed, until BullMQ failed the job for stalling past the queue's
 * limit, without a run to error the upload. Real Redis, real BullMQ,
 * real ffmpeg, a folder store; a "dead" run is one whose worker took the
 * job by hand and never renews its lock, as in stalled-runs.test.ts.
 * A run whose lock lapsed while it still went on is not dead: the
 * upload is left to it while it marks its presence (RunPresence), and
 * errored about a lock after that presence lapses, when it died.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Upload } from '@ingest/core';
import {
  createRedis,
  openQueue,
  openWorker,
  type TypedJob,
} from '@ingest/queue';
import { keys, RunPresence, runLeaseFor, SiteUsage } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import { makeTone, recordingLogger, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { presentWhileRunning, stalledOutHandler, stalledOutWatch } from './stalled-out';
import { startRunKit, storeWithSteps, type RunKit } from './test-support';
import { transcodeProcessor } from './transcode-processor';

let kit: RunKit;
let blocking: Redis;

before(async () => {
  kit = await startRunKit('stalled-out');
  blocking = createRedis(kit.redisUrl, 'worker');
});

after(async () => {
  blocking?.disconnect();
  await kit?.close();
});

/** An upload of a stored tone to mp3 and wav, its job published. */
async function queuedUpload(siteId: number): Promise<Upload> {
  const { store } = kit.base;
  const file = path.join(kit.dir, 'source.wav');
  await makeTone(file, { seconds: 1, frequency: 440 });
  await kit.storage.putFile('sources/1/tone', file);
  const job = await store.createJob(siteId, { name: 'stalls' });
  const upload = await store.addUpload(siteId, job.id, {
    formats: ['mp3', 'wav'],
    sources: {
      wav: {
        format: 'wav',
        storageKey: 'sources/1/tone',
        filename: 'tone.wav',
        bytes: 1,
        sha256: 'x',
      },
    },
    meta: { Title: 'Stalls' },
  });
  assert.ok(upload !== 'closed');
  assert.equal(typeof (await store.publish(job.id)), 'object');
  return upload;
}

/** A logger keeping its lines, its children too. */
function keptLines() {
  const log = recordingLogger();
  const logger = { ...log.logger, child: () => logger } as unknown as Logger;
  return { ...log, logger };
}

/**
 * Four runs of the upload, each taken by hand by `dead` (which never
 * renews a lock): each stores both renditions, then hangs, and its lock
 * lapses. The fourth is `last` when given: it hangs until that ends.
 */
async function runsThatStall(
  { upload, queue }: { upload: Upload; queue: ReturnType<typeof openQueue<'transcode'>> },
  dead: { getNextJob(token: string): Promise<unknown> },
  deps: Parameters<typeof transcodeProcessor>[0],
  last?: { wrap: (run: ReturnType<typeof transcodeProcessor>) => typeof run; until: Promise<void> },
) {
  let lastRun: Promise<unknown> | undefined;
  for (let run = 1; run <= 4; run++) {
    const job = (await dead.getNextJob(`dead-${run}`)) as TypedJob<'transcode'>;
    assert.equal(job?.id, `u${upload.id}`, `run ${run} took the job`);
    const hangs = run === 4 && last ? last.until : new Promise<never>(() => {});
    let stored = () => {};
    const both = new Promise<void>((resolve) => (stored = resolve));
    const processor = transcodeProcessor({
      ...deps,
      storage: storeWithSteps(kit.storage, {
        after: [async () => {}, () => (stored(), hangs)],
      }),
    });
    const running = (run === 4 && last ? last.wrap(processor) : processor)(job);
    if (run === 4) lastRun = running;
    await both;
    await waitUntil(async () => (await queue.getJobState(job.id ?? '')) === 'waiting', {
      message: () => `run ${run}'s lock never lapsed`,
    });
  }
  // Wrapped: an async function returning a promise would wait for it.
  return { lastRun };
}

/** A site, its upload queued, its transcode job added. */
async function stallingUpload() {
  const { store } = kit.base;
  const siteId = (await store.createSite({ name: 's', token: 't', webhookSecret: 'w' })).id;
  const upload = await queuedUpload(siteId);
  const queue = openQueue('transcode', kit.redis);
  await queue.add('transcode', { uploadId: upload.id }, { jobId: `u${upload.id}` });
  return { siteId, upload, queue };
}

/** The workers' lock of a run, ms. */
const LOCK_MS = 500;

/** The worker of dead runs, and the one that finds the job failed. */
function workers(log: { logger: Logger }, ran: () => void, deps: object) {
  const options = { concurrency: 1, logger: log.logger, lockDurationMs: LOCK_MS };
  const dead = openWorker('transcode', blocking, async () => undefined, options);
  const alive = openWorker(
    'transcode',
    blocking,
    async (job: TypedJob<'transcode'>) => {
      ran();
      return transcodeProcessor(deps as Parameters<typeof transcodeProcessor>[0])(job);
    },
    options,
  );
  return { dead, alive };
}

test('an upload whose runs all stalled out errors, its files removed', async () => {
  const { store } = kit.base;
  const usage = new SiteUsage(kit.redis);
  const stalling = await stallingUpload();
  const { siteId, upload } = stalling;
  const log = keptLines();
  const deps = { ...kit.base, storage: kit.storage, usage };
  let ranAfterDeath = false;
  const { dead, alive } = workers(log, () => (ranAfterDeath = true), deps);
  const presence = new RunPresence(kit.redis, runLeaseFor(LOCK_MS));
  alive.on('failed', stalledOutHandler({ ...deps, logger: log.logger }, presence, 50));
  try {
    void dead.startStalledCheckTimer();
    await runsThatStall(stalling, dead, deps);
    const noted = await kit.redis.smembers(keys.uploadFiles(upload.id));
    assert.equal(noted.length, 8, 'four dead runs noted two files each');
    // Renditions are counted when a publish records them: dead runs' are not.
    assert.equal(await usage.total(siteId), 0, 'their files are not counted');

    void alive.run();
    const errored = await waitUntil(async () => {
      const now = await store.uploadById(upload.id);
      return now?.status === 'error' && now;
    }, { message: () => 'the upload never errored' });

    assert.equal(ranAfterDeath, false, 'BullMQ ran no fifth run');
    assert.equal(errored.errorCode, 'internal');
    assert.match(errored.error ?? '', /^transcoding stopped: its runs died before finishing/);
    // The status changes first; the files go after it, then the line.
    await waitUntil(() => log.at('info').some((l) => /errored upload/.test(l.message)), {
      message: () => 'the handler never finished erroring the upload',
    });
    assert.equal(await kit.redis.exists(keys.uploadFiles(upload.id)), 0);
    const folder = path.join(kit.dir, 'storage', 'tracks');
    assert.deepEqual(await readdir(folder).catch(() => []), [], 'no file stays');
    assert.equal(await usage.total(siteId), 0);
    assert.deepEqual(await store.counts(upload.jobId), { q: 0, i: 0, d: 0, e: 1 });
    assert.equal((await store.jobById(upload.jobId))?.state, 'complete');
  } finally {
    await alive.close(true);
    await dead.close(true);
    await stalling.queue.close();
  }
});

/**
 * An upload about to stall out (stallingUpload), its workers, and a wait
 * for the handler to leave the failed job to a run still present.
 */
async function stallingScene() {
  const stalling = await stallingUpload();
  const log = keptLines();
  const deps = { ...kit.base, storage: kit.storage, usage: new SiteUsage(kit.redis) };
  const { dead, alive } = workers(log, () => {}, deps);
  const leftToRun = () =>
    waitUntil(() => log.at('info').some((l) => /still has a run going/.test(l.message)), {
      message: () => 'the failed job was never seen',
    });
  const close = async () => {
    await alive.close(true);
    await dead.close(true);
    await stalling.queue.close();
  };
  return { ...stalling, log, deps, dead, alive, leftToRun, close };
}

test('a run whose lock lapsed but that still works publishes the upload', async () => {
  const { store } = kit.base;
  const stalling = await stallingScene();
  const { upload, log, deps, dead, alive } = stalling;
  const presence = new RunPresence(kit.redis, runLeaseFor(LOCK_MS));
  alive.on('failed', stalledOutHandler({ ...deps, logger: log.logger }, presence, 50));
  let goOn = () => {};
  const until = new Promise<void>((resolve) => (goOn = resolve));
  try {
    void dead.startStalledCheckTimer();
    // The fourth run's process stalls past its lock, then goes on.
    const { lastRun: last } = await runsThatStall(stalling, dead, deps, {
      wrap: (run) => presentWhileRunning(presence, run),
      until,
    });
    void alive.run();
    await stalling.leftToRun();
    assert.equal((await store.uploadById(upload.id))?.status, 'transcoding');

    goOn();
    const outcome = (await last) as { outcome: string; trackId?: number };
    assert.equal(outcome.outcome, 'published');
    const now = await store.uploadById(upload.id);
    assert.equal(now?.status, 'published');
    const track = await store.getTrack(now.siteId, outcome.trackId ?? 0);
    assert.ok(track, 'its track stands');
    for (const r of Object.values(track.renditions)) {
      assert.equal(await kit.storage.size(r.storageKey), r.bytes, `${r.format} is there`);
    }
    // The dead runs' files went with the publish; the handler then
    // finds the upload finished and leaves it.
    await waitUntil(() => alive.isRunning() && presence.alive(`u${upload.id}`).then((a) => !a));
    assert.equal((await store.uploadById(upload.id))?.status, 'published');
  } finally {
    goOn();
    await stalling.close();
  }
});

// A run marks its presence while it runs, and one whose process died
// left it to lapse after 5 minutes, whatever the lock: its upload stayed
// `transcoding` that long after BullMQ failed its job.
test('a run that died while present has its upload errored once it lapses', async () => {
  const { store } = kit.base;
  const stalling = await stallingScene();
  const { upload, log, deps, dead, alive } = stalling;
  alive.on('failed', stalledOutWatch({ ...deps, logger: log.logger }, kit.redis, LOCK_MS).failed);
  // The last run's process, with a connection of its own to Redis.
  const doomed = createRedis(kit.redisUrl);
  const dying = stalledOutWatch(deps, doomed, LOCK_MS);
  try {
    void dead.startStalledCheckTimer();
    await runsThatStall(stalling, dead, deps, { wrap: dying.wrap, until: new Promise(() => {}) });
    void alive.run();
    await stalling.leftToRun();

    // The process dies: its run's presence is renewed no more.
    doomed.disconnect();
    const errored = await waitUntil(async () => {
      const now = await store.uploadById(upload.id);
      return now?.status === 'error' && now;
    }, { message: () => 'the upload was not errored within a minute' });
    assert.equal(errored.errorCode, 'internal');
  } finally {
    doomed.disconnect();
    await stalling.close();
  }
});
