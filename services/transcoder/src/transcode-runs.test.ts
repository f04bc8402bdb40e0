/**
 * The first transcode of an upload run more than once (SPEC §3: a job may
 * run twice; a run taken back after its lock lapsed may still run), and
 * a track deleted while a run goes on: the files a published track's
 * record names stay, and hold the bytes its sha256 (the ETag) names.
 * Real Redis, real ffmpeg, a folder store; the runs' steps are laid out
 * by holding one run's storage writes, so they meet the same every time.
 * A later run's ffmpeg writes other bytes (another build, as in a fleet
 * mid-upgrade): simulated by other tags.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Upload } from '@ingest/core';
import type { TypedJob } from '@ingest/queue';
import { keys, TrackDeleter, type StateStore } from '@ingest/state';
import type { FileStorage } from '@ingest/storage';
import { makeTone } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import type { RenditionMaker } from './rendition-maker';
import {
  queuedUploadOf,
  startRunKit,
  storeWithSteps as withSteps,
  transcodeJobOf,
  type RunKit,
} from './test-support';
import { transcodeProcessor, type ProcessorDeps } from './transcode-processor';

let kit: RunKit;
let redis: Redis;
let dir: string;
let storage: FileStorage;
let store: StateStore;
let maker: RenditionMaker;
/** Another ffmpeg build: the same audio, other bytes. */
let otherBuild: RenditionMaker;
let base: RunKit['base'];
let siteId: number;

before(async () => {
  kit = await startRunKit('transcode-runs');
  ({ redis, dir, storage, base } = kit);
  ({ store, maker } = base);
  otherBuild = {
    make: (request) =>
      maker.make({ ...request, meta: { ...request.meta, Title: 'Other build' } }),
    retag: (request) => maker.retag(request),
  };
  siteId = (await store.createSite({ name: 's', token: 't', webhookSecret: 'w' })).id;
});

after(() => kit?.close());

let uploads = 0;

/** An upload of a stored tone to mp3 and wav, its job published. */
async function queuedUpload(): Promise<Upload> {
  const n = ++uploads;
  const file = path.join(dir, `source-${n}.wav`);
  await makeTone(file, { seconds: 1, frequency: 440 + n });
  const key = `sources/${n}.wav`;
  await storage.putFile(key, file);
  return queuedUploadOf(store, siteId, {
    formats: ['mp3', 'wav'],
    sources: {
      wav: { format: 'wav', storageKey: key, filename: 'a.wav', bytes: 1, sha256: 'x' },
    },
    meta: { Title: `Tone ${n}` },
  });
}

const jobOf = transcodeJobOf;

/** The store as one run sees it (see storeWithSteps). */
const storeWithSteps = (steps: Parameters<typeof withSteps>[1]) =>
  withSteps(storage, steps);

function run(upload: Upload, deps: Partial<ProcessorDeps> = {}) {
  return transcodeProcessor({ ...base, storage, ...deps })(jobOf(upload));
}

/**
 * Where a second run is held at its first storage write: the first run
 * is started only once the second is there. Started together, the first
 * could publish before the second noted its files (under load, its
 * ffmpeg was the slower), and the second then stored nothing at all.
 */
function holdPoint(second: () => Promise<unknown>) {
  let reached!: () => void;
  let release!: () => void;
  const atHold = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const step = async () => {
    reached();
    await released;
  };
  return {
    step,
    /** Starts the second run; answers its end once it is held at its first write. */
    async start(): Promise<{ running: Promise<unknown> }> {
      const running = second();
      const ended = running.then(
        () => 'ended',
        () => 'ended',
      );
      const where = await Promise.race([atHold.then(() => 'held'), ended]);
      assert.equal(where, 'held', 'the second run ended before its first write');
      // Wrapped: an async function's answer that is a promise is waited for.
      return { running };
    },
    release,
  };
}

const full = () =>
  Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));

/**
 * Each rendition the upload's track record names: 'ok' when its stored
 * file holds the bytes of the record's sha256.
 */
async function served(upload: Upload): Promise<Record<string, string>> {
  const trackId = (await store.uploadById(upload.id))?.trackId;
  assert.ok(trackId, 'the upload has its track');
  const track = await store.getTrack(siteId, trackId);
  assert.ok(track, `track ${trackId} is stored`);
  const files: Record<string, string> = {};
  for (const rendition of Object.values(track.renditions)) {
    const bytes = await readFile(path.join(dir, 'storage', rendition.storageKey))
      .catch(() => undefined);
    const sha = bytes && createHash('sha256').update(bytes).digest('hex');
    files[rendition.format] =
      !sha ? 'missing' : sha === rendition.sha256 ? 'ok' : 'other bytes';
  }
  return files;
}

/** The files in the folder of the upload's track. */
async function filesOf(upload: Upload): Promise<string[]> {
  const trackId = (await store.uploadById(upload.id))?.trackId;
  const folder = path.join(dir, 'storage', 'tracks', String(trackId));
  return readdir(folder).catch(() => []);
}

// Two runs at once (one taken back after its lock lapsed): the second,
// another build, stored its mp3 over the key the first had published,
// then failed: the record's sha256, the download's ETag, named bytes no
// longer stored, for good.
test('a second run that fails after the first published changes no file', async () => {
  const upload = await queuedUpload();
  const hold = holdPoint(() =>
    run(upload, {
      maker: otherBuild,
      storage: storeWithSteps({ before: [() => hold.step(), full] }),
    }),
  );
  const { running: second } = await hold.start();
  const first = await run(upload);
  hold.release();
  assert.equal((first as { outcome: string }).outcome, 'published');
  await assert.rejects(second, /no space left/);

  assert.deepEqual(await served(upload), { mp3: 'ok', wav: 'ok' });
  assert.equal((await filesOf(upload)).length, 2, 'the failed run left no file');
});

// The same, the second run succeeding: it rewrote the published track's
// record and files, a published track's bytes changing under its ETag.
test('a second run after the first published leaves its track as it is', async () => {
  const upload = await queuedUpload();
  const hold = holdPoint(() =>
    run(upload, {
      maker: otherBuild,
      storage: storeWithSteps({ before: [() => hold.step()] }),
    }),
  );
  const { running: second } = await hold.start();
  const published = await run(upload);
  const trackId = (await store.uploadById(upload.id))?.trackId;
  assert.ok(trackId);
  const first = await store.getTrack(siteId, trackId);
  hold.release();
  await second;

  assert.deepEqual(published, { outcome: 'published', trackId });
  assert.deepEqual(await store.getTrack(siteId, trackId), first);
  assert.deepEqual(await served(upload), { mp3: 'ok', wav: 'ok' });
  const folder = await filesOf(upload);
  assert.equal(folder.length, 2, `only the track's files: ${folder.join(', ')}`);
});

// A run that saved the track and died before marking the upload
// published is run again by another build, which fails after its first
// file: the record kept naming the first run's bytes.
test('a run again after the track was saved keeps record and bytes one', async () => {
  const upload = await queuedUpload();
  await run(upload);
  // As the dead run left it: the track saved, the upload not published.
  await redis.hset(keys.upload(upload.id), 'status', 'transcoding');

  const again = run(upload, {
    maker: otherBuild,
    storage: storeWithSteps({ before: [async () => {}, full] }),
  });
  await assert.rejects(again, /no space left/);
  assert.deepEqual(await served(upload), { mp3: 'ok', wav: 'ok' });

  // The next attempt, the store back, publishes a track of one kind.
  await run(upload, { maker: otherBuild });
  assert.equal((await store.uploadById(upload.id))?.status, 'published');
  assert.deepEqual(await served(upload), { mp3: 'ok', wav: 'ok' });
});

// A run still going when the track is deleted (its files, then its
// record): its record came back naming files the delete removed, a track
// answering rendition_missing; or came back whole, a deleted track.
test('a track deleted while a second run goes on stays deleted', async () => {
  const upload = await queuedUpload();
  let trackId = 0;
  const deleter = new TrackDeleter(redis);
  /** As /api/tracks/delete does it. */
  const deleteTrack = async () => {
    const track = await store.getTrack(siteId, trackId);
    assert.ok(track);
    for (const r of Object.values(track.renditions)) await storage.delete(r.storageKey);
    assert.ok(await deleter.delete(siteId, trackId));
  };
  const hold = holdPoint(() =>
    run(upload, {
      storage: storeWithSteps({
        before: [() => hold.step()],
        after: [async () => {}, deleteTrack],
      }),
    }),
  );
  const { running: second } = await hold.start();
  trackId = ((await run(upload)) as { trackId: number }).trackId;
  hold.release();
  await second;

  assert.equal(await store.getTrack(siteId, trackId), undefined);
  assert.deepEqual(await filesOf(upload), []);
});

// A run that died after storing its files (killed, or its lock lapsed for
// good): the run that publishes the upload removes them, so a deleted
// track leaves no folder behind.
test('files of a run that died after storing them do not stay', async () => {
  const upload = await queuedUpload();
  const died = new Promise<never>(() => {});
  let stored = () => {};
  const bothStored = new Promise<void>((resolve) => (stored = resolve));
  void run(upload, {
    storage: storeWithSteps({ after: [async () => {}, () => (stored(), died)] }),
  });
  await bothStored;
  await run(upload);

  const files = await filesOf(upload);
  assert.equal(files.length, 2, `only the track's files: ${files.join(', ')}`);
  assert.deepEqual(await served(upload), { mp3: 'ok', wav: 'ok' });
});

// The same when the upload errors at last: no track, no file.
test('files of a run that died go when the upload errors', async () => {
  const upload = await queuedUpload();
  let stored = () => {};
  const bothStored = new Promise<void>((resolve) => (stored = resolve));
  void run(upload, {
    storage: storeWithSteps({
      after: [async () => {}, () => (stored(), new Promise<never>(() => {}))],
    }),
  });
  await bothStored;
  const lastAttempt = { ...jobOf(upload), attemptsMade: 2 } as TypedJob<'transcode'>;
  const outcome = await transcodeProcessor({
    ...base,
    storage: storeWithSteps({ before: [full] }),
  })(lastAttempt);

  assert.deepEqual(outcome, { outcome: 'errored', code: 'internal' });
  assert.deepEqual(await filesOf(upload), []);
});

// A run still going when another, its last attempt, errored the upload:
// it saved a track beside the errored upload, its files with it.
test('a run that finishes after the upload errored makes no track', async () => {
  const upload = await queuedUpload();
  let erred = Promise.resolve<unknown>(undefined);
  const second = run(upload, { storage: storeWithSteps({ before: [() => erred] }) });
  const lastAttempt = { ...jobOf(upload), attemptsMade: 2 } as TypedJob<'transcode'>;
  erred = transcodeProcessor({ ...base, storage: storeWithSteps({ before: [full] }) })(
    lastAttempt,
  );
  assert.deepEqual(await erred, { outcome: 'errored', code: 'internal' });
  await second;

  const now = await store.uploadById(upload.id);
  assert.equal(now?.status, 'error');
  assert.equal(await store.getTrack(siteId, now?.trackId ?? 0), undefined);
  assert.deepEqual(await filesOf(upload), []);
});
