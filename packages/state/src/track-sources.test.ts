import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { SourceFile, UploadStatus } from '@ingest/core';
import { createRedis } from '@ingest/queue';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import { filesOfSite } from './site-files';
import { SiteUsage } from './site-usage';
import { StateStore } from './state-store';
import { TrackDeleter } from './track-deleter';
import { TRACK_UPDATES_KEPT, UpdateStore } from './update-store';

let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = createRedis(server.url);
});

after(async () => {
  redis.disconnect();
  await server.close();
});

const source = (storageKey: string): SourceFile => ({
  format: 'wav',
  storageKey,
  filename: 'a.wav',
  bytes: 10,
  sha256: 'x',
});

/** A published upload's track with `updates` immediate updates of it. */
async function trackWithUpdates(updates: number) {
  const store = new StateStore(redis);
  const site = await store.createSite({
    name: 'sources',
    token: `t-${randomUUID()}`,
    webhookSecret: 'whsec_x',
  });
  const job = await store.createJob(site.id, { name: 'j' });
  const first = `sources/${site.id}/upload`;
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source(first) },
    meta: {},
  });
  assert.ok(upload !== 'closed');
  const trackId = await store.claimTrackId(upload.id);
  const track = {
    id: trackId,
    siteId: site.id,
    uploadId: upload.id,
    jobId: job.id,
    meta: {},
    renditions: {},
    createdAt: '',
  };
  assert.equal((await store.tracks.publish(upload, track)).moved, true);
  const usage = new SiteUsage(redis);
  await usage.stored(site.id, first, 10);
  const store2 = new UpdateStore(redis);
  const ids: number[] = [];
  for (let i = 0; i < updates; i++) {
    const key = `sources/${site.id}/update-${i}`;
    const update = await store2.add({
      siteId: site.id,
      trackId,
      uploadId: upload.id,
      jobId: 0,
      immediate: true,
      formats: ['mp3'],
      sources: { wav: source(key) },
    });
    assert.ok(update !== 'closed');
    await usage.stored(site.id, key, 10);
    ids.push(update.id);
  }
  return { site, trackId, upload, ids, updates: store2, usage };
}

const setStatus = (id: number, status: UploadStatus) =>
  redis.hset(keys.update(id), 'status', status);

test("a deleted track's upload and every applied update have their sources found", async () => {
  const count = TRACK_UPDATES_KEPT + 5;
  const { site, trackId, ids, updates, usage } = await trackWithUpdates(count);
  for (const id of ids.slice(1)) await setStatus(id, 'published');
  // getById shows the latest; the delete must reach them all.
  assert.equal((await updates.ofTrack(trackId)).length, TRACK_UPDATES_KEPT);
  // A recount counts every source, immediate updates' (in no job) too.
  assert.equal((await filesOfSite(redis, site.id)).size, count + 1);

  const deleter = new TrackDeleter(redis);
  const deleted = await deleter.delete(site.id, trackId);
  assert.ok(deleted);
  assert.equal(deleted.updateIds.length, count);
  const kept = await deleter.keptSources(trackId, deleted);
  // The first update is not applied (it errors track_missing and goes
  // then): all but it, and the upload.
  assert.equal(kept.length, count);
  const named = kept.flatMap((k) => k.storageKeys).sort();
  assert.equal(named.includes(`sources/${site.id}/update-0`), false);
  assert.ok(named.includes(`sources/${site.id}/upload`));

  for (const sources of kept) await deleter.sourcesRemoved(sources);
  assert.equal(await usage.total(site.id), 10, 'only the waiting update counts');
  assert.deepEqual(await deleter.keptSources(trackId, deleted), [], 'noted once');
  // Nor does a recount count the removed ones again.
  assert.deepEqual([...(await filesOfSite(redis, site.id)).keys()], []);
});
