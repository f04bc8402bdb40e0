/**
 * The race that leaves orphans, run for real: a track deleted while an
 * update of it is applied. The delete read the track and removed the
 * files it named; the update, its files stored, then put them into the
 * record, which the delete removed last. The update's files were named
 * by nothing. (The site's quota count follows the records, counted and
 * uncounted in their Lua steps, so it does not hold them.) The sweep finds
 * exactly them and removes them; the other published track keeps its
 * files and its count. Real Redis, real ffmpeg, a folder store; the
 * steps are laid out by the update's storage writes (storeWithSteps).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TypedJob } from '@ingest/queue';
import { SiteUsage, TrackDeleter, type StateStore } from '@ingest/state';
import { makeTone } from '@ingest/testkit';
import { storeWithSteps, type RunKit } from '@ingest/transcoder/src/test-support';
import { transcodeProcessor } from '@ingest/transcoder/src/transcode-processor';
import { updateProcessor } from '@ingest/transcoder/src/update-processor';
import { sweepOrphans } from '../../scripts/orphan-sweep';
import { backdateTree, DAY_MS, startSweepRunKit } from './sweep-kit';

let kit: RunKit;
let store: StateStore;
let usage: SiteUsage;
let siteId: number;

before(async () => {
  ({ kit, siteId } = await startSweepRunKit('sweep-race'));
  store = kit.base.store;
  usage = new SiteUsage(kit.redis);
});

after(() => kit?.close());

const runJob = (data: { uploadId: number; updateId?: number }) =>
  ({ id: 'run', data, attemptsMade: 0, opts: { attempts: 3 } }) as TypedJob<'transcode'>;

/** A stored tone as a source of the site. */
async function source(name: string, frequency: number) {
  const file = path.join(kit.dir, `${name}.wav`);
  await makeTone(file, { seconds: 1, frequency });
  const storageKey = `sources/${siteId}/${name}`;
  await kit.storage.putFile(storageKey, file);
  return { format: 'wav', storageKey, filename: `${name}.wav`, bytes: 1, sha256: 'x' };
}

/** A published track of a tone, its files counted in the quota. */
async function publishedTrack(name: string, frequency: number) {
  const job = await store.createJob(siteId, { name });
  const upload = await store.addUpload(siteId, job.id, {
    formats: ['mp3', 'wav'],
    sources: { wav: await source(name, frequency) },
    meta: { Title: name },
  });
  assert.ok(upload !== 'closed');
  await store.publish(job.id);
  const deps = { ...kit.base, storage: kit.storage, usage };
  const done = await transcodeProcessor(deps)(runJob({ uploadId: upload.id }));
  assert.equal(done.outcome, 'published');
  return { upload, trackId: (done as { trackId: number }).trackId };
}

const filesIn = (trackId: number) =>
  readdir(path.join(kit.dir, 'storage', 'tracks', String(trackId))).catch(() => []);

test('a track deleted mid-update: the sweep takes the update\'s files', async () => {
  const kept = await publishedTrack('kept', 500);
  const { upload, trackId } = await publishedTrack('deleted', 700);
  const update = await kit.base.updates.add({
    siteId,
    trackId,
    uploadId: upload.id,
    jobId: 0,
    immediate: true,
    formats: ['mp3', 'wav'],
    sources: { wav: await source('update', 900) },
  });
  assert.ok(typeof update === 'object');

  // /api/tracks/delete, as the endpoint does it: the files the track
  // names first, the record (and its count) last.
  const removeFiles = async () => {
    const track = await store.getTrack(siteId, trackId);
    assert.ok(track, 'the delete read the track');
    for (const r of Object.values(track.renditions)) {
      await kit.storage.delete(r.storageKey);
    }
  };
  const applied = await updateProcessor({
    ...kit.base,
    usage,
    // The delete reads the track once the update stored its files.
    storage: storeWithSteps(kit.storage, { after: [async () => {}, removeFiles] }),
  })(runJob({ uploadId: upload.id, updateId: update.id }));
  assert.equal(applied.outcome, 'published');
  assert.ok(await new TrackDeleter(kit.redis).delete(siteId, trackId));

  const left = (await filesIn(trackId)).map((name) => `tracks/${trackId}/${name}`);
  assert.equal(left.length, 2, 'the update\'s files outlived their track');
  assert.ok(left.every((key) => key.includes(`.u${update.id}.`)), left.join(', '));
  const counted = await usage.total(siteId);

  await backdateTree(path.join(kit.dir, 'storage'), new Date(Date.now() - 2 * DAY_MS));
  const sweep = (remove: boolean) =>
    sweepOrphans({ storage: kit.storage, redis: kit.redis, olderThanMs: DAY_MS, remove });
  const found = await sweep(false);
  const orphanBytes = found.orphans.reduce((sum, o) => sum + o.bytes, 0);
  assert.ok(orphanBytes > 0);
  assert.deepEqual(found.orphans.map((o) => o.key).sort(), left.sort());
  assert.deepEqual(await filesIn(trackId), left.map((key) => path.basename(key)).sort());

  const swept = await sweep(true);
  assert.equal(swept.removed, 2);
  assert.deepEqual(await filesIn(trackId), []);

  // What the site holds is the other track's files, which are as its
  // record names them.
  const track = await store.getTrack(siteId, kept.trackId);
  assert.ok(track);
  const renditions = Object.values(track.renditions);
  const held = renditions.reduce((sum, r) => sum + r.bytes, 0);
  assert.equal(counted, held, 'the count followed the records: no orphan counted');
  assert.equal(await usage.total(siteId), held);
  for (const r of renditions) {
    const bytes = await readFile(path.join(kit.dir, 'storage', r.storageKey));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), r.sha256, r.format);
  }
  assert.equal((await sweep(false)).orphans.length, 0);
});
