import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Track } from '@ingest/core';
import { redisForTests } from '@ingest/testkit';
import { keys } from './keys';
import { StateStore } from './state-store';
import { TrackDeleter } from './track-deleter';
import { UpdateStore } from './update-store';

const own = redisForTests();
let store: StateStore;
let updates: UpdateStore;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  updates = new UpdateStore(own.redis);
});

const mp3 = (storageKey: string, updateId?: number) => ({
  format: 'mp3' as const,
  storageKey,
  bytes: 1,
  sha256: storageKey,
  duration: 1,
  sampleRate: 44_100,
  channels: 2,
  codec: 'mp3',
  ...(updateId ? { updateId } : {}),
});

async function newTrack(id: number): Promise<Track> {
  const track: Track = {
    id,
    siteId: 1,
    uploadId: id,
    jobId: 1,
    meta: { Title: 'Base' },
    renditions: { mp3: mp3('base') },
    createdAt: new Date().toISOString(),
  };
  await store.saveTrack(track);
  return track;
}

test('a patch goes ahead only on the track as it was read', async () => {
  await newTrack(1);
  const first = await updates.readTrack(1);
  const second = await updates.readTrack(1);
  assert.ok(first && second);
  assert.deepEqual(first.track.metaVersions, {});

  const patched = await updates.patchTrack(first, {
    renditions: { mp3: mp3('one', 7) },
    meta: { Title: 'Seven' },
    metaVersions: { Title: 7 },
  });
  assert.equal(patched, 'ok');
  assert.equal(await updates.unchangedSince(first), false);

  // The second reader's work was done on what is gone: refused.
  const stale = await updates.patchTrack(second, {
    renditions: { mp3: mp3('two', 5) },
    meta: { Title: 'Five' },
    metaVersions: { Title: 5 },
  });
  assert.equal(stale, 'changed');

  const now = await updates.readTrack(1);
  assert.ok(now && (await updates.unchangedSince(now)));
  assert.equal(now.track.renditions.mp3?.updateId, 7);
  assert.deepEqual(now.track.meta, { Title: 'Seven' });
  assert.deepEqual(now.track.metaVersions, { Title: 7 });
});

test('a patch of a deleted track says so', async () => {
  await newTrack(2);
  const read = await updates.readTrack(2);
  assert.ok(read);
  assert.ok(await new TrackDeleter(own.redis).delete(1, 2));
  const { track } = read;
  const result = await updates.patchTrack(read, track);
  assert.equal(result, 'missing');
  assert.equal(await updates.readTrack(2), undefined);
});

test('a published update keeps the formats it was superseded in', async () => {
  const added = await updates.add({
    siteId: 1,
    trackId: 1,
    uploadId: 1,
    jobId: 0,
    immediate: true,
    formats: ['mp3', 'wav'],
    sources: {},
  });
  assert.ok(typeof added === 'object');
  await updates.published(added, ['mp3']);
  const stored = await updates.byId(added.id);
  assert.equal(stored?.status, 'published');
  assert.deepEqual(stored?.superseded, ['mp3']);
});

test('a dropped update takes its autopublish mark with it', async () => {
  const job = await store.createJob(1, { name: 'marked' });
  const added = await updates.add({
    siteId: 1,
    trackId: 1,
    uploadId: 1,
    jobId: job.id,
    immediate: false,
    formats: ['mp3'],
    sources: {},
  });
  assert.ok(typeof added === 'object');
  const upload = await store.addUpload(1, job.id, {
    formats: ['mp3'],
    sources: {},
    meta: {},
  });
  assert.ok(upload !== 'closed' && 'id' in upload);
  // Both wait, so both are marked: an update is looked up as an update.
  assert.equal(await store.autopublish.mark(job.id, `update:${added.id}`), true);
  assert.equal(await store.autopublish.mark(job.id, `upload:${upload.id}`), true);
  assert.deepEqual((await own.redis.smembers(keys.jobAutopublish(job.id))).sort(), [
    `update:${added.id}`,
    `upload:${upload.id}`,
  ].sort());

  assert.equal((await updates.dropWaiting(added)).dropped, true);
  assert.deepEqual(await own.redis.smembers(keys.jobAutopublish(job.id)), [
    `upload:${upload.id}`,
  ]);

  // A mark that comes after the drop (a delete between the update's add
  // and its mark) adds none.
  assert.equal(await store.autopublish.mark(job.id, `update:${added.id}`), false);
  assert.deepEqual(await own.redis.smembers(keys.jobAutopublish(job.id)), [
    `upload:${upload.id}`,
  ]);
});

test('a patch for an update that errored meanwhile changes nothing', async () => {
  await newTrack(3);
  const added = await updates.add({
    siteId: 1,
    trackId: 3,
    uploadId: 3,
    jobId: 0,
    immediate: true,
    formats: ['mp3'],
    sources: {},
  });
  assert.ok(typeof added === 'object');
  await updates.move(added, 'transcoding');
  const read = await updates.readTrack(3);
  assert.ok(read);
  const next = { renditions: { mp3: mp3('late', added.id) }, meta: {}, metaVersions: {} };
  const counted = await own.redis.get(keys.siteStoredTotal(1));

  // Its runs stalled out while this one went on: the update errored.
  await updates.move(added, 'error', { error: 'stalled', errorCode: 'internal' });
  assert.equal(await updates.patchTrack(read, next, {}, added.id), 'finished');
  assert.ok(await updates.unchangedSince(read), 'the track is as it was');
  assert.equal(await own.redis.get(keys.siteStoredTotal(1)), counted, 'and so is the count');
});

test('an update is errored only on the track as it was read', async () => {
  await newTrack(4);
  const job = await store.createJob(1, { name: 'stalls' });
  const added = await updates.add({
    siteId: 1,
    trackId: 4,
    uploadId: 4,
    jobId: job.id,
    immediate: false,
    formats: ['mp3'],
    sources: {},
  });
  assert.ok(typeof added === 'object');
  assert.equal(typeof (await store.publish(job.id)), 'object');
  await updates.move(added, 'transcoding');
  const looked = await updates.readTrack(4);
  assert.ok(looked);
  const fields = { error: 'stalled', errorCode: 'internal' };

  // A run's patch lands after the look: the update is not errored.
  const next = { renditions: { mp3: mp3('run', added.id) }, meta: {}, metaVersions: {} };
  assert.equal(await updates.patchTrack(looked, next, {}, added.id), 'ok');
  assert.equal(await updates.errorUnpatched(added, looked, fields), 'changed');
  assert.equal((await updates.byId(added.id))?.status, 'transcoding');

  const now = await updates.readTrack(4);
  assert.deepEqual(await updates.errorUnpatched(added, now, fields), {
    moved: true,
    jobState: 'complete',
  });
  assert.equal((await updates.byId(added.id))?.errorCode, 'internal');
  assert.deepEqual(await store.counts(job.id), { q: 0, i: 0, d: 0, e: 1 });
});

test('an update of a deleted track is refused, its track listing none', async () => {
  await newTrack(3);
  assert.ok(await new TrackDeleter(own.redis).delete(1, 3));
  const job = await store.createJob(1, { name: 'late' });
  for (const immediate of [true, false]) {
    const added = await updates.add({
      siteId: 1,
      trackId: 3,
      uploadId: 3,
      jobId: immediate ? 0 : job.id,
      immediate,
      formats: ['mp3'],
      sources: {},
    });
    assert.equal(added, 'missing');
  }
  assert.equal(await own.redis.exists(keys.trackUpdates(3)), 0);
  assert.deepEqual(await store.counts(job.id), { q: 0, i: 0, d: 0, e: 0 });
});
