import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { OutputFormat, SourceFile, Track, UploadStatus } from '@ingest/core';
import { createRedis } from '@ingest/queue';
import { redisForTests } from '@ingest/testkit';
import { keys } from './keys';
import { filesOfSite } from './site-files';
import { SiteReservations } from './site-reservations';
import { SiteUsage } from './site-usage';
import { StateStore } from './state-store';
import { TrackDeleter } from './track-deleter';
import { TRACK_UPDATES_KEPT, UpdateStore } from './update-store';

const own = redisForTests();

test('a key stored or removed twice is counted once', async () => {
  const usage = new SiteUsage(own.redis);
  await usage.stored(1, 'sources/1/a', 1000);
  // A job run again stores the same key: its size, not twice.
  await usage.stored(1, 'sources/1/a', 1000);
  await usage.stored(1, 'tracks/9/mp3.x.mp3', 250);
  assert.equal(await usage.total(1), 1250);

  await usage.removed(1, 'sources/1/a');
  // Two deletes that race: the second changes nothing.
  await usage.removed(1, 'sources/1/a');
  await usage.removed(1, 'never/stored');
  assert.equal(await usage.total(1), 250);
});

test('sites are counted apart, and a key re-stored at another size moves the total', async () => {
  const usage = new SiteUsage(own.redis);
  await usage.stored(2, 'k', 10);
  await usage.stored(2, 'k', 40);
  await usage.stored(3, 'k', 7);
  assert.deepEqual([await usage.total(2), await usage.total(3)], [40, 7]);
  assert.equal(await usage.total(4), 0);
});

test('sites() names each site whose files are counted', async () => {
  const usage = new SiteUsage(own.redis);
  await usage.stored(12, 'tracks/1/a', 1);
  await usage.stored(4, 'sources/4/b', 1);
  // The total of a site alone is no count of files.
  await own.redis.set(keys.siteStoredTotal(77), '5');
  const sites = await usage.sites();
  assert.ok(sites.includes(12) && sites.includes(4), String(sites));
  assert.equal(sites.includes(77), false);
  assert.deepEqual(sites, [...sites].sort((a, b) => a - b));
});

/** A site with a queued upload, and a track of it with `sizes`' renditions. */
async function uploadWithTrack(sizes: Partial<Record<OutputFormat, number>>) {
  const store = new StateStore(own.redis);
  const site = await store.createSite({
    name: 'quota',
    token: `t-${randomUUID()}`,
    webhookSecret: 'whsec_x',
  });
  const job = await store.createJob(site.id, { name: 'j' });
  const upload = await store.addUpload(site.id, job.id, {
    formats: Object.keys(sizes) as OutputFormat[],
    sources: {},
    meta: {},
  });
  assert.ok(upload !== 'closed');
  const trackId = await store.claimTrackId(upload.id);
  const track: Track = {
    id: trackId,
    siteId: site.id,
    uploadId: upload.id,
    jobId: job.id,
    meta: {},
    renditions: renditionsOf(trackId, 'run1', sizes),
    createdAt: new Date().toISOString(),
  };
  return { store, site, upload, track };
}

function renditionsOf(
  trackId: number,
  run: string,
  sizes: Partial<Record<OutputFormat, number>>,
): Track['renditions'] {
  const renditions: Track['renditions'] = {};
  for (const [format, bytes] of Object.entries(sizes) as [OutputFormat, number][]) {
    renditions[format] = {
      format,
      storageKey: `tracks/${trackId}/${format}.${run}.${format}`,
      bytes,
      sha256: 'x',
      duration: 1,
      sampleRate: 44_100,
      channels: 2,
      codec: format,
    };
  }
  return renditions;
}

test('the publish of a track counts its renditions in the same step, once', async () => {
  const { store, site, upload, track } = await uploadWithTrack({ mp3: 300, wav: 2000 });
  const usage = new SiteUsage(own.redis);
  // The site's id may be one counted by the tests above.
  const counted = await usage.total(site.id);
  const used = async () => (await usage.total(site.id)) - counted;

  const first = await store.tracks.publish(upload, track);
  assert.equal(first.moved, true);
  assert.equal(await used(), 2300);

  // A second run of the upload finishes later: its files are not the
  // track's, and nothing more is counted.
  const late = { ...track, renditions: renditionsOf(track.id, 'run2', { mp3: 310 }) };
  const second = await store.tracks.publish(upload, late);
  assert.equal(second.moved, false);
  assert.equal(await used(), 2300);

  // The delete of the record forgets them in its step.
  assert.ok(await new TrackDeleter(own.redis).delete(site.id, track.id));
  assert.equal(await used(), 0);
});

test("a patch of a track's renditions moves the count in the same step", async () => {
  const { store, site, upload, track } = await uploadWithTrack({ mp3: 300, wav: 2000 });
  const usage = new SiteUsage(own.redis);
  const counted = await usage.total(site.id);
  const used = async () => (await usage.total(site.id)) - counted;
  await store.tracks.publish(upload, track);
  const updates = new UpdateStore(own.redis);

  const read = await updates.readTrack(track.id);
  assert.ok(read);
  // The wav replaced by an update's, the mp3 kept.
  const renditions = {
    ...read.track.renditions,
    wav: renditionsOf(track.id, 'u1', { wav: 2500 }).wav,
  };
  const next = { renditions, meta: read.track.meta, metaVersions: {} };
  assert.equal(await updates.patchTrack(read, next), 'ok');
  assert.equal(await used(), 2800);
  // A patch from a stale read changes nothing, its count neither.
  assert.equal(await updates.patchTrack(read, next), 'changed');
  assert.equal(await used(), 2800);
});

test('recount sets the count to the files listed, counted or not before', async () => {
  const usage = new SiteUsage(own.redis);
  await usage.stored(20, 'sources/20/a', 100);
  await usage.stored(20, 'sources/20/gone', 50);
  const files = new Map([
    ['sources/20/a', 120],
    ['tracks/1/mp3.r.mp3', 1000],
  ]);

  const recount = await usage.recount(20, async () => files);
  assert.deepEqual(recount, { beforeBytes: 150, afterBytes: 1120, files: 2 });
  assert.equal(await usage.total(20), 1120);
  assert.equal(await usage.files(20), 2);
});

test('recount lists again when a file is counted while it lists', async () => {
  const usage = new SiteUsage(own.redis);
  const other = createRedis(own.server.url);
  let lists = 0;
  try {
    const recount = await usage.recount(21, async () => {
      lists += 1;
      // The first listing races a publish that counts a file.
      if (lists === 1) await new SiteUsage(other).stored(21, 'tracks/2/a', 7);
      return new Map([['tracks/2/a', 7]]);
    });
    assert.equal(lists, 2);
    assert.equal(recount?.afterBytes, 7);
    assert.equal(await usage.total(21), 7);
  } finally {
    other.disconnect();
  }
});

const MINUTE = 60_000;

test('runs at once hold no more than the site has left', async () => {
  const holds = new SiteReservations(own.redis);
  await new SiteUsage(own.redis).stored(101, 'sources/101/a', 1000);

  // Quota 10 000, 1000 stored: 9000 left.
  assert.deepEqual(await holds.reserve(101, 'a', 6000, 10_000, MINUTE), {
    granted: 6000,
    left: 9000,
    held: 0,
  });
  // 3000 left: a run that needs 5000 waits for the other to give back.
  assert.deepEqual(await holds.reserve(101, 'b', 5000, 10_000, MINUTE), {
    granted: 0,
    left: 3000,
    held: 6000,
  });
  // One that needs less takes it.
  const c = await holds.reserve(101, 'c', 2000, 10_000, MINUTE);
  assert.equal(c.granted, 2000);
  assert.equal(await holds.held(101), 8000);

  await holds.release(101, 'a');
  assert.equal((await holds.reserve(101, 'b', 9500, 10_000, MINUTE)).granted, 0);
  await holds.release(101, 'c');
  // With no one else's hold to wait for, a run takes what is left.
  const b = await holds.reserve(101, 'b', 9500, 10_000, MINUTE);
  assert.deepEqual(b, { granted: 9000, left: 9000, held: 0 });
  // Nothing left: nothing held.
  const d = await holds.reserve(101, 'd', Infinity, 10_000, MINUTE);
  assert.equal(d.granted, 0);
  assert.equal(await holds.held(101), 9000);
});

test('the hold of a run that stops renewing it lapses', async () => {
  let now = 1_000_000;
  const holds = new SiteReservations(own.redis, () => now);
  assert.equal((await holds.reserve(102, 'dead', Infinity, 5000, MINUTE)).granted, 5000);
  assert.equal((await holds.reserve(102, 'live', 100, 5000, MINUTE)).granted, 0);

  now += MINUTE / 2;
  assert.equal(await holds.renew(102, 'dead', MINUTE), true);
  now += MINUTE / 2 + 1;
  assert.equal(await holds.held(102), 5000, 'renewed: still held');

  now += MINUTE;
  assert.equal(await holds.held(102), 0);
  assert.equal((await holds.reserve(102, 'live', 100, 5000, MINUTE)).granted, 100);
  assert.equal(await holds.renew(102, 'dead', MINUTE), false);
});

test('a patch whose hold counted replaced renditions as freed keeps the quota', async () => {
  const { store, site, upload, track } = await uploadWithTrack({ wav: 2000 });
  const usage = new SiteUsage(own.redis);
  // The site's id may be one counted by the tests above.
  const counted = await usage.total(site.id);
  const used = async () => (await usage.total(site.id)) - counted;
  await store.tracks.publish(upload, track);
  assert.equal(await used(), 2000);
  const quota = counted + 3000;
  const reservations = new SiteReservations(own.redis);
  const other = await reservations.reserve(site.id, 'other', 900, quota, 60_000);
  assert.equal(other.granted, 900);
  // The update's wav takes the place of the track's: 2000 bytes more left.
  const mine = await reservations.reserve(site.id, 'mine', 2000, quota, 60_000, 2000);
  assert.equal(mine.granted, 2000);

  const updates = new UpdateStore(own.redis);
  const read = await updates.readTrack(track.id);
  assert.ok(read);
  const grown = {
    renditions: renditionsOf(track.id, 'u1', { wav: 2050 }),
    meta: read.track.meta,
    metaVersions: {},
  };
  const held = { runId: 'mine', quotaBytes: quota, creditBytes: 2000 };
  // A source stored meanwhile: the 50 bytes more would pass the quota.
  await usage.stored(site.id, `sources/${site.id}/late`, 500);
  assert.equal(await updates.patchTrack(read, grown, held), 'quota');
  assert.equal(await used(), 2500, 'nothing changed');

  // One that holds no more than before is applied, and gives the hold back.
  const same = { ...grown, renditions: renditionsOf(track.id, 'u2', { wav: 2000 }) };
  assert.equal(await updates.patchTrack(read, same, held), 'ok');
  assert.equal(await used(), 2500);
  assert.equal(await reservations.held(site.id), 900);
});

/** A published upload's track with `updates` immediate updates of it. */
async function trackWithUpdates(updates: number) {
  const source = (storageKey: string, bytes: number): SourceFile =>
    ({ format: 'wav', storageKey, filename: 'a.wav', bytes, sha256: 'x' });
  const store = new StateStore(own.redis);
  const site = await store.createSite({
    name: 'sources',
    token: `t-${randomUUID()}`,
    webhookSecret: 'whsec_x',
  });
  const job = await store.createJob(site.id, { name: 'j' });
  const first = `sources/${site.id}/upload`;
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source(first, 10) },
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
  const usage = new SiteUsage(own.redis);
  // The site's id may be one counted by the tests above.
  const counted = await usage.total(site.id);
  await usage.stored(site.id, first, 10);
  const store2 = new UpdateStore(own.redis);
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
      sources: { wav: source(key, 10) },
    });
    assert.ok(typeof update === 'object');
    await usage.stored(site.id, key, 10);
    ids.push(update.id);
  }
  return { site, trackId, ids, updates: store2, usage, counted };
}

const setStatus = (id: number, status: UploadStatus) =>
  own.redis.hset(keys.update(id), 'status', status);

test("a deleted track's upload and every applied update have their sources found", async () => {
  const count = TRACK_UPDATES_KEPT + 5;
  const { site, trackId, ids, updates, usage, counted } = await trackWithUpdates(count);
  for (const id of ids.slice(1)) await setStatus(id, 'published');
  // getById shows the latest; the delete must reach them all.
  assert.equal((await updates.ofTrack(trackId)).length, TRACK_UPDATES_KEPT);
  // A recount counts every source, immediate updates' (in no job) too.
  assert.equal((await filesOfSite(own.redis, site.id)).size, count + 1);

  const deleter = new TrackDeleter(own.redis);
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

  for (const sources of kept) await deleter.removeSources(sources, async () => {});
  assert.equal(await usage.total(site.id), counted + 10, 'the waiting update counts');
  assert.deepEqual(await deleter.keptSources(trackId, deleted), [], 'noted once');
  // Nor does a recount count the removed ones again.
  assert.deepEqual([...(await filesOfSite(own.redis, site.id)).keys()], []);
});
