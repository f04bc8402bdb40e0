/**
 * A track update run more than once (SPEC §3: a job may run twice): the
 * files the track's record names stay what the record says, and stay.
 * Real Redis, real ffmpeg, a folder store; the runs' steps are laid out
 * by holding one run's storage writes, so they meet the same every time.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Rendition, Track, TrackUpdate } from '@ingest/core';
import type { TypedJob } from '@ingest/queue';
import {
  keys,
  RunPresence,
  SiteUsage,
  SOURCES_REMOVED,
  TrackDeleter,
  UpdateStore,
} from '@ingest/state';
import type { FileStorage } from '@ingest/storage';
import { makeTone, waitUntil } from '@ingest/testkit';
import { startRunKit, storeWithSteps as withSteps, type RunKit } from './test-support';
import { stalledOutHandler } from './stalled-out';
import { applyUpdate } from './update-apply';
import { updateProcessor } from './update-processor';

let kit: RunKit;
let dir: string;
let storage: FileStorage;
let base: RunKit['base'];

before(async () => {
  kit = await startRunKit('update-apply');
  ({ dir, storage, base } = kit);
});

after(() => kit?.close());

let trackIds = 0;

/** A stored file of a tone and its record as a rendition. */
async function storedTone(
  key: string,
  format: 'mp3' | 'wav',
  frequency: number,
): Promise<Rendition> {
  const file = path.join(dir, `${trackIds}-${frequency}.${format}`);
  await makeTone(file, { seconds: 1, frequency });
  await storage.putFile(key, file);
  return {
    format,
    storageKey: key,
    bytes: (await storage.size(key)) ?? 0,
    sha256: `sha-of-${key}`,
    duration: 1,
    sampleRate: 44_100,
    channels: 2,
    codec: format === 'mp3' ? 'mp3' : 'pcm_s16le',
  };
}

/** A published track of mp3 and wav, and a queued update of both. */
async function trackWithUpdate(): Promise<TrackUpdate> {
  const id = ++trackIds;
  const track: Track = {
    id,
    siteId: 1,
    uploadId: id,
    jobId: 1,
    meta: { Title: 'Before' },
    renditions: {
      mp3: await storedTone(`tracks/${id}/mp3.mp3`, 'mp3', 440),
      wav: await storedTone(`tracks/${id}/wav.wav`, 'wav', 440),
    },
    createdAt: new Date().toISOString(),
  };
  await base.store.saveTrack(track);

  const source = await storedTone(`sources/1/update-${id}`, 'wav', 660);
  const update = await base.updates.add({
    siteId: 1,
    trackId: id,
    uploadId: id,
    jobId: 0,
    immediate: true,
    formats: ['mp3', 'wav'],
    sources: {
      wav: {
        format: 'wav',
        storageKey: source.storageKey,
        filename: 'update.wav',
        bytes: 1,
        sha256: 'x',
      },
    },
  });
  assert.ok(typeof update === 'object');
  return update;
}

/** The store as one run sees it (see storeWithSteps). */
const storeWithSteps = (steps: Parameters<typeof withSteps>[1]) =>
  withSteps(storage, steps);

/**
 * A run of the update that stops once both its files are stored, before
 * its patch, until `goOn()`: answered once it got there.
 */
async function runHeldAtCommit(update: TrackUpdate) {
  let reachedCommit = () => {};
  const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
  let goOn = () => {};
  const held = new Promise<void>((resolve) => (goOn = resolve));
  const run = applyUpdate(
    {
      ...base,
      storage: storeWithSteps({
        after: [async () => {}, async () => (reachedCommit(), held)],
      }),
    },
    update,
  );
  await atCommit;
  return { run, goOn };
}

/** The transcode job of the update's one attempt, as a worker gets it. */
function jobOf(update: TrackUpdate): TypedJob<'transcode'> {
  return {
    id: `u${update.id}`,
    data: { uploadId: update.uploadId, updateId: update.id },
    attemptsMade: 0,
    opts: { attempts: 1 },
  } as TypedJob<'transcode'>;
}

/**
 * What a transcoder does when BullMQ fails the update's job for good
 * (its runs all stalled: none of them marked present).
 */
function stalledOut(update: TrackUpdate, updates = base.updates): void {
  // A short lease: the handler takes a run for gone a renewal after it saw none.
  const presence = new RunPresence(kit.redis, 300);
  const handle = stalledOutHandler({ ...base, storage, updates }, presence);
  const job = { ...jobOf(update), attemptsMade: 3, finishedOn: Date.now() };
  handle(job as TypedJob<'transcode'>, new Error('job stalled more than allowable limit'));
}

/** Every file the track's record names, with whether it is stored. */
async function recordFiles(trackId: number) {
  const read = await base.updates.readTrack(trackId);
  assert.ok(read);
  const files: Record<string, boolean> = {};
  for (const rendition of Object.values(read.track.renditions)) {
    files[rendition.format] = (await storage.size(rendition.storageKey)) !== undefined;
  }
  return files;
}

// A run taken back after its lock lapsed (a stall) while the first still
// ran wrote the same keys; failing, it removed them as its own, and the
// first then put them into the track: both renditions gone for good.
test('a second run that fails leaves the first run\'s files in place', async () => {
  const update = await trackWithUpdate();
  // The first run stops once both its files are stored.
  const { run: first, goOn } = await runHeldAtCommit(update);

  // The second stores one file, then the store refuses the next.
  const full = Object.assign(new Error('no space left'), { code: 'ENOSPC' });
  const second = applyUpdate(
    {
      ...base,
      storage: storeWithSteps({ before: [async () => {}, () => Promise.reject(full)] }),
    },
    update,
  );
  await assert.rejects(second, /no space left/);
  goOn();
  const applied = await first;

  assert.ok(applied !== 'finished');
  assert.equal(applied.track.renditions.wav?.updateId, update.id);
  assert.deepEqual(await recordFiles(update.trackId), { mp3: true, wav: true });
});

// An update applied by a run that died before marking it published is
// run again: it made its files anew and renamed them over the ones the
// track served, whose sha256 (the ETag) the record still gave, bytes of
// another ffmpeg build or a failure after the rename left them apart.
test('an applied update run again writes over no file the track serves', async () => {
  const update = await trackWithUpdate();
  await applyUpdate({ ...base, storage }, update);
  const before = await base.updates.readTrack(update.trackId);
  assert.ok(before);
  const served = new Set(
    Object.values(before.track.renditions).map((r) => r.storageKey),
  );

  const writes: string[] = [];
  const again = await applyUpdate(
    {
      ...base,
      storage: storeWithSteps({
        before: [0, 1].map(() => async (key: string) => void writes.push(key)),
      }),
    },
    update,
  );

  assert.deepEqual(writes.filter((key) => served.has(key)), []);
  assert.ok(again !== 'finished');
  assert.deepEqual(again.track.renditions, before.track.renditions);
  assert.deepEqual(again.superseded, []);
  assert.deepEqual(await recordFiles(update.trackId), { mp3: true, wav: true });
});

// The track's delete removes the sources of the updates it finds
// published; one marked published just after it looked kept its source,
// stored and counted against the site, with no track left to delete.
test('an update applied as its track is deleted removes its own source', async () => {
  const update = await trackWithUpdate();
  const source = update.sources.wav!.storageKey;
  const usage = new SiteUsage(kit.redis);
  await usage.stored(update.siteId, source, 1);
  const deleter = new TrackDeleter(kit.redis);
  /** The delete lands between the update's patch and its mark. */
  class DeletedMeanwhile extends UpdateStore {
    override async published(...args: Parameters<UpdateStore['published']>) {
      assert.ok(await deleter.delete(update.siteId, update.trackId));
      return super.published(...args);
    }
  }
  const run = updateProcessor({
    ...base,
    storage,
    usage,
    updates: new DeletedMeanwhile(kit.redis),
  });
  assert.equal((await run(jobOf(update))).outcome, 'published');

  assert.equal(await storage.size(source), undefined, 'the source is removed');
  const counted = await kit.redis.hget(keys.siteStored(update.siteId), source);
  assert.equal(counted, null, 'and no longer counted');
  assert.ok(await kit.redis.hget(keys.update(update.id), SOURCES_REMOVED));
});

// A run that patched the track and died before marking its update
// published leaves the update `transcoding`; its runs stall out. The
// track serves it: the stalled-out handler must mark it published, not
// error it and remove the source its renditions came from.
test('an update its dead run applied stalls out as published, not errored', async () => {
  const update = await trackWithUpdate();
  await base.updates.move(update, 'transcoding');
  await applyUpdate({ ...base, storage }, update);
  const source = update.sources.wav!.storageKey;

  stalledOut(update);

  const settled = await waitUntil(async () => {
    const now = await base.updates.byId(update.id);
    return now && now.status !== 'transcoding' && now;
  }, { message: 'the stalled-out update was never settled' });
  assert.equal(settled.status, 'published', settled.error);
  assert.ok(await storage.size(source), 'its source is kept');
});

// A run that went on after the update's runs stalled out, and the
// stalled-out handler errored it and removed its source: its patch put
// its renditions into the track all the same, an update shown `error`
// served, or, refused, it left its files stored with no record naming them.
test('a run whose update errored meanwhile leaves the track, and its files go', async () => {
  const update = await trackWithUpdate();
  const before = await base.updates.readTrack(update.trackId);
  const written: string[] = [];
  const errored = async (key: string) => {
    written.push(key);
    stalledOut(update);
    await waitUntil(async () => (await base.updates.byId(update.id))?.status === 'error', {
      message: 'the stalled-out handler never errored the update',
    });
  };
  const run = updateProcessor({
    ...base,
    storage: storeWithSteps({ after: [async (key) => void written.push(key), errored] }),
  });

  const outcome = await run(jobOf(update));

  assert.deepEqual(outcome, { outcome: 'skipped', reason: 'finished' });
  const now = await base.updates.readTrack(update.trackId);
  assert.deepEqual(now?.track, before?.track, 'the track is as it was');
  assert.equal(written.length, 2);
  for (const key of written) {
    assert.equal(await storage.size(key), undefined, `${key} is removed`);
  }
  assert.equal((await base.updates.byId(update.id))?.status, 'error');
});

// The stalled-out handler found the update not applied yet, then a run
// that still went on patched the track, then the handler errored the
// update: the track served its renditions, the update shown `error`, its
// source removed.
test('an update patched just after the stalled-out check ends published', async () => {
  const update = await trackWithUpdate();
  await base.updates.move(update, 'transcoding');
  const source = update.sources.wav!.storageKey;
  const { run, goOn } = await runHeldAtCommit(update);

  /** The run's patch lands just after the handler's first look at the track. */
  let looked = false;
  class PatchedMeanwhile extends UpdateStore {
    override async readTrack(trackId: number) {
      const read = await super.readTrack(trackId);
      if (!looked) {
        looked = true;
        goOn();
        await run;
      }
      return read;
    }
  }
  stalledOut(update, new PatchedMeanwhile(kit.redis));

  const applied = await run;
  assert.ok(applied !== 'finished', 'the run patched the track');
  const settled = await waitUntil(async () => {
    const now = await base.updates.byId(update.id);
    return now && now.status !== 'transcoding' && now;
  }, { message: 'the stalled-out update was never settled' });
  assert.equal(settled.status, 'published', settled.error);
  const now = await base.updates.readTrack(update.trackId);
  assert.equal(now?.track.renditions.wav?.updateId, update.id, 'the track serves it');
  assert.ok(await storage.size(source), 'its source is kept');
  assert.deepEqual(await recordFiles(update.trackId), { mp3: true, wav: true });
});

// A run taken back while the first still went on failed its last
// attempt after the first had patched the track (and died before
// marking the update published): it errored an update the track served.
test('a last attempt failing after another run patched publishes the update', async () => {
  const update = await trackWithUpdate();
  const { run: first, goOn } = await runHeldAtCommit(update);

  // The second run's store refuses its second write once the first patched.
  const patched = async () => {
    goOn();
    assert.ok((await first) !== 'finished', 'the first run patched the track');
    throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
  };
  const second = updateProcessor({
    ...base,
    storage: storeWithSteps({ before: [async () => {}, patched] }),
  });

  assert.equal((await second(jobOf(update))).outcome, 'published');
  const now = await base.updates.byId(update.id);
  assert.equal(now?.status, 'published', now?.error);
  assert.ok(await storage.size(update.sources.wav!.storageKey), 'its source is kept');
  assert.deepEqual(await recordFiles(update.trackId), { mp3: true, wav: true });
});
