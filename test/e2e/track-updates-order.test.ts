/**
 * End to end: updates of one track apply in the order they were accepted
 * (update ids), whatever order their transcodes finish in. For each
 * format the newest update's file is served, and the track's meta and
 * the tags of every rendition file agree. ffmpeg is wrapped so that the
 * run reading one chosen source waits until the test lets it go, once
 * the other update is published: that update finishes last.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UpdateStore } from '@ingest/state';
import {
  ffmpegWrapper,
  ffprobe,
  probedTags,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';
import { HZ, assertTone, tone, trackCalls } from './track-kit';

/** How long a held run waits for its release at most, in s. */
const HOLD_MAX_S = 120;
const ALL = ['mp3', 'wav', 'aiff', 'flac'];
const BASE_META = { Title: 'Base', Artist: 'Base Artist' };
/** The fields followed from the track's meta into its files' tags. */
const TAGGED = ['Title', 'Artist', 'Album'];

let fixture: FixtureStack;
/** The wrapper's folder. */
let wrapperDir: string;
/** Holds the storage key of the source whose transcode is held. */
let slowSourceFile: string;
/** Exists once the held transcode may go on. */
let releaseFile: string;

async function writeFixtures(dir: string) {
  // Tags only make the bytes differ: a job takes the same bytes once.
  for (const n of [1, 2, 3]) {
    await tone(dir, `base${n}.wav`, HZ.orderBase, { tags: { title: `${n}` } });
  }
  await tone(dir, 'slow.wav', HZ.orderSlow, {
    sampleRate: 96_000,
    codec: 'pcm_s24le',
  });
  await tone(dir, 'fast.wav', HZ.orderFast);
}

before(async () => {
  wrapperDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-order-'));
  slowSourceFile = path.join(wrapperDir, 'slow-source');
  releaseFile = path.join(wrapperDir, 'release');
  await writeFile(slowSourceFile, '');
  const wrapper = await ffmpegWrapper(path.join(wrapperDir, 'ffmpeg'), [
    `slow=$(cat '${slowSourceFile}')`,
    'if [ -n "$slow" ]; then',
    '  case "$*" in *"$slow"*)',
    '    n=0',
    `    while [ ! -e '${releaseFile}' ] && [ $n -lt ${HOLD_MAX_S * 10} ]; do`,
    '      sleep 0.1; n=$((n + 1))',
    '    done ;;',
    '  esac',
    'fi',
  ]);
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    env: { FFMPEG_PATH: wrapper },
  });
});

after(async () => {
  if (releaseFile) await writeFile(releaseFile, '');
  await fixture?.close();
  if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
});

const { upload, getTrack, download, publishAndWait, trackOfUpload } =
  trackCalls(() => fixture);

/** Holds the transcode of this update's source until releaseAfter. */
async function delaySourceOf(updateId: number) {
  const update = await new UpdateStore(fixture.stack.redis).byId(updateId);
  const [source] = Object.values(update?.sources ?? {});
  assert.ok(source, `update ${updateId} has a source`);
  await rm(releaseFile, { force: true });
  await writeFile(slowSourceFile, source.storageKey);
}

/** Lets the held transcode go on once update `first` is published. */
async function releaseAfter(first: number) {
  const updates = new UpdateStore(fixture.stack.redis);
  await waitUntil(
    async () => (await updates.byId(first))?.status === 'published',
    {
      timeoutMs: 120_000,
      intervalMs: 200,
      message: `update ${first} was not published while the other was held`,
    },
  );
  await writeFile(releaseFile, '');
}

/** Publishes the job; the held update goes on after update `first`. */
async function publishWithHeldLast(first: number) {
  const [done] = await Promise.all([publishAndWait(), releaseAfter(first)]);
  return done;
}

async function sendUpdate(name: string, params: Record<string, unknown>) {
  const { status, body } = await upload(name, params);
  assert.equal(status, 200, JSON.stringify(body));
  return body.update_id as number;
}

/**
 * Every rendition of the track: the bytes getById describes, made from
 * the source of the tone given for its format, and tagged with exactly
 * the track's Title, Artist and Album. Gives the track.
 */
async function assertRenditions(
  trackId: number,
  tones: Record<string, number>,
) {
  const track = await getTrack(trackId);
  assert.deepEqual(Object.keys(track.formats).sort(), [...ALL].sort());
  for (const [format, hz] of Object.entries(tones)) {
    const file = await download(trackId, format);
    assert.equal(
      file.sha256,
      track.formats[format].sha256,
      `${format}: the file served is the one getById describes`,
    );
    await assertTone(file.file, hz, `${format} rendition`);
    const tags = probedTags(await ffprobe(file.file));
    for (const field of TAGGED) {
      assert.equal(
        tags[field.toLowerCase()],
        track.meta[field],
        `${format}: ${field} tag agrees with the track's meta`,
      );
    }
  }
  return track;
}

/** The TAGGED fields of `meta`. */
function tagged(meta: Record<string, string>) {
  return Object.fromEntries(
    TAGGED.filter((field) => field in meta).map((f) => [f, meta[f]]),
  );
}

/**
 * The track's record: its files are all that is stored for it (replaced
 * and dropped files were removed). Gives its storage keys by format.
 */
async function storedFiles(trackId: number) {
  const { stack, site } = fixture;
  const record = await stack.store.getTrack(site.id, trackId);
  assert.ok(record);
  const keys = Object.values(record.renditions).map((r) => r.storageKey);
  const names = await readdir(
    path.join(stack.dataDir, 'storage', 'tracks', String(trackId)),
  );
  assert.deepEqual(
    names.sort(),
    keys.map((key) => path.basename(key)).sort(),
    'no file left behind',
  );
  return record.renditions;
}

/** Each update of the track as [id, status, superseded formats]. */
function outcomes(track: any) {
  return track.updates.map((u: any) => [
    u.update_id,
    u.status,
    u.superseded_formats ?? [],
  ]);
}

describe('updates of one track apply in the order they were accepted', () => {
  const tracks: number[] = [];

  before(async () => {
    const uploads = [];
    for (const n of [1, 2, 3]) {
      const { status, body } = await upload(`base${n}.wav`, {
        formats: ALL.join(','),
        meta: BASE_META,
      });
      assert.equal(status, 200, JSON.stringify(body));
      uploads.push(body.upload_id);
    }
    const done = await publishAndWait();
    for (const uploadId of uploads) {
      tracks.push(await trackOfUpload(done.job_id, uploadId));
    }
  });

  test('an older update finishing last does not undo a newer one', async () => {
    const trackId = tracks[0];
    const older = await sendUpdate('slow.wav', {
      track_id: trackId,
      formats: ALL.join(','),
      meta: { Artist: 'SlowA' },
    });
    const newer = await sendUpdate('fast.wav', {
      track_id: trackId,
      format: 'mp3',
      meta: { Album: 'FastB' },
    });
    assert.ok(older < newer);
    await delaySourceOf(older);

    const done = await publishWithHeldLast(newer);
    assert.deepEqual([done.d, done.e], [2, 0], JSON.stringify(done));

    const track = await assertRenditions(trackId, {
      mp3: HZ.orderFast,
      wav: HZ.orderSlow,
      aiff: HZ.orderSlow,
      flac: HZ.orderSlow,
    });
    assert.deepEqual(tagged(track.meta), {
      Title: 'Base',
      Artist: 'SlowA',
      Album: 'FastB',
    });
    assert.deepEqual(outcomes(track), [
      [older, 'published', ['mp3']],
      [newer, 'published', []],
    ]);
    // As staged: the older update, done last, re-tagged the newer's mp3.
    const files = await storedFiles(trackId);
    assert.equal(files.mp3?.updateId, newer);
    assert.match(files.mp3!.storageKey, new RegExp(`mp3\\.u${older}-`));
  });

  test('a newer update finishing last keeps an older one\'s meta', async () => {
    const trackId = tracks[1];
    const older = await sendUpdate('fast.wav', {
      track_id: trackId,
      format: 'mp3',
      meta: { Album: 'FastB', Title: 'Fast title' },
    });
    const newer = await sendUpdate('slow.wav', {
      track_id: trackId,
      formats: ALL.join(','),
      meta: { Artist: 'SlowA', Title: 'Slow title' },
    });
    await delaySourceOf(newer);

    const done = await publishWithHeldLast(older);
    assert.deepEqual([done.d, done.e], [2, 0], JSON.stringify(done));

    const track = await assertRenditions(trackId, {
      mp3: HZ.orderSlow,
      wav: HZ.orderSlow,
      aiff: HZ.orderSlow,
      flac: HZ.orderSlow,
    });
    assert.deepEqual(tagged(track.meta), {
      Title: 'Slow title',
      Artist: 'SlowA',
      Album: 'FastB',
    });
    assert.deepEqual(outcomes(track), [
      [older, 'published', []],
      [newer, 'published', []],
    ]);
    // As staged: the newer update, done last, re-tagged its own files.
    const files = await storedFiles(trackId);
    for (const format of ALL) {
      const key = files[format as keyof typeof files]?.storageKey;
      assert.match(key ?? '', new RegExp(`\\.u${newer}-`), format);
    }
  });

  test('a deferred update published after a newer immediate one', async () => {
    const trackId = tracks[2];
    await writeFile(slowSourceFile, '');
    const deferred = await sendUpdate('slow.wav', {
      track_id: trackId,
      format: 'flac',
      meta: { Title: 'Deferred' },
    });
    const immediate = await sendUpdate('fast.wav', {
      track_id: trackId,
      format: 'flac',
      immediate: 1,
      meta: { Title: 'Immediate', Album: 'Now' },
    });
    await waitUntil(
      async () => {
        const track = await getTrack(trackId);
        const update = track.updates.find(
          (u: any) => u.update_id === immediate,
        );
        return update?.status === 'published';
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    // Its meta is in every file, the renditions it did not replace too.
    const tones = {
      mp3: HZ.orderBase,
      wav: HZ.orderBase,
      aiff: HZ.orderBase,
      flac: HZ.orderFast,
    };
    const applied = await assertRenditions(trackId, tones);
    const expectedMeta = { ...BASE_META, Title: 'Immediate', Album: 'Now' };
    assert.deepEqual(tagged(applied.meta), expectedMeta);

    const done = await publishAndWait();
    assert.deepEqual([done.d, done.e], [1, 0], JSON.stringify(done));

    const track = await assertRenditions(trackId, tones);
    assert.deepEqual(tagged(track.meta), expectedMeta);
    assert.deepEqual(track.formats, applied.formats, 'nothing changed');
    assert.deepEqual(outcomes(track), [
      [deferred, 'published', ['flac']],
      [immediate, 'published', []],
    ]);
    await storedFiles(trackId);
  });
});
