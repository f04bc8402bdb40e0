/**
 * An upload whose transcode runs all died after storing their files:
 * each took the job, stored its renditions and never finished, and its
 * lock lapsed, until BullMQ failed the job for stalling past the queue's
 * limit, without a run to error the upload. Real Redis, real BullMQ,
 * real ffmpeg, a folder store; a "dead" run is one whose worker took the
 * job by hand and never renews its lock, as in stalled-runs.test.ts.
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
import { keys, SiteUsage } from '@ingest/state';
import { makeTone, recordingLogger, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { stalledOutHandler } from './stalled-out';
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

test('an upload whose runs all stalled out errors, its files removed', async () => {
  const { store } = kit.base;
  const usage = new SiteUsage(kit.redis);
  const siteId = (await store.createSite({ name: 's', token: 't', webhookSecret: 'w' })).id;
  const upload = await queuedUpload(siteId);
  const queue = openQueue('transcode', kit.redis);
  const log = recordingLogger();
  // Takes the job for the dead runs, and looks for stalled ones.
  const dead = openWorker('transcode', blocking, async () => undefined, {
    concurrency: 1,
    logger: log.logger,
    lockDurationMs: 500,
  });
  const deps = { ...kit.base, storage: kit.storage, usage };
  let ranAfterDeath = false;
  const alive = openWorker(
    'transcode',
    blocking,
    async (job: TypedJob<'transcode'>) => {
      ranAfterDeath = true;
      return transcodeProcessor(deps)(job);
    },
    { concurrency: 1, logger: log.logger, lockDurationMs: 500 },
  );
  alive.on('failed', stalledOutHandler(deps));
  try {
    await queue.add('transcode', { uploadId: upload.id }, { jobId: `u${upload.id}` });
    void dead.startStalledCheckTimer();
    // Each run stores both renditions, then dies (never finishes).
    for (let run = 1; run <= 4; run++) {
      const job = await dead.getNextJob(`dead-${run}`);
      assert.equal(job?.id, `u${upload.id}`, `run ${run} took the job`);
      let stored = () => {};
      const both = new Promise<void>((resolve) => (stored = resolve));
      void transcodeProcessor({
        ...deps,
        storage: storeWithSteps(kit.storage, {
          after: [async () => {}, () => (stored(), new Promise<never>(() => {}))],
        }),
      })(job as TypedJob<'transcode'>);
      await both;
      await waitUntil(async () => (await queue.getJobState(job.id ?? '')) === 'waiting', {
        message: () => `run ${run}'s job never taken back`,
      });
    }
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
    await waitUntil(async () => (await kit.redis.exists(keys.uploadFiles(upload.id))) === 0);
    const folder = path.join(kit.dir, 'storage', 'tracks');
    assert.deepEqual(await readdir(folder).catch(() => []), [], 'no file stays');
    assert.equal(await usage.total(siteId), 0);
    assert.deepEqual(await store.counts(upload.jobId), { q: 0, i: 0, d: 0, e: 1 });
    assert.equal((await store.jobById(upload.jobId))?.state, 'complete');
  } finally {
    await alive.close(true);
    await dead.close(true);
    await queue.close();
  }
});
