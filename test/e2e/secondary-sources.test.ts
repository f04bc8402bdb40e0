/**
 * End to end: secondary sources of an upload (same name, another
 * extension, or `upload_id`). Which source a rendition was made from is
 * told by its tone: every fixture has its own frequency.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { defaultBinaryPaths } from '@ingest/media';
import {
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';
import { HZ, MP3, assertTone, tone, trackCalls } from './track-kit';

const run = promisify(execFile);

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let other: TestSite;

async function writeFixtures(dir: string) {
  await mkdir(path.join(dir, 'v2'));
  await mkdir(path.join(dir, 'v3'));
  await tone(dir, 'song.mp3', HZ.songMp3, MP3);
  await tone(dir, 'song.WAV', HZ.songWavFirst);
  await tone(dir, 'v2/Song.wav', HZ.songWav);
  await tone(dir, 'v3/song.mp3', HZ.twinMp3, MP3);
  await tone(dir, 'other.mp3', HZ.otherMp3, MP3);
  await tone(dir, 'other.flac', HZ.extraFlac, { codec: 'flac' });
  await tone(dir, 'third.wav', HZ.thirdWav);
  await tone(dir, 'bonus-master.flac', HZ.extraFlac, { codec: 'flac' });
  // Two recordings under one name: 3 s of WAV, 1 s of mp3.
  await tone(dir, 'mixup.wav', HZ.thirdWav);
  await tone(dir, 'mixup.mp3', HZ.otherMp3, { ...MP3, seconds: 1 });
  // One name, its accent decomposed (NFD, as macOS names files) and not.
  await tone(dir, 'Koraso\u0301n.mp3', HZ.otherMp3, MP3);
  await tone(dir, 'Koras\u00f3n.wav', HZ.thirdWav);
}

before(async () => {
  fixture = await startFixtureStack({ fixtures: writeFixtures });
  ({ dir, files, stack } = fixture);
  other = await stack.createSite();
});

after(() => fixture?.close());

const {
  call,
  upload,
  getTrack,
  download,
  stored,
  publishAndWait,
  trackOfUpload,
} = trackCalls(() => fixture);

/** The decoded samples of a file, as 16-bit PCM at its own rate. */
async function pcm(file: string): Promise<Buffer> {
  const { stdout } = await run(
    defaultBinaryPaths().ffmpegPath,
    ['-v', 'error', '-i', file, '-map', '0:a', '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return stdout as Buffer;
}

describe('secondary sources', () => {
  let jobId: number;
  const ids: Record<string, number> = {};

  test('same name, another extension: one upload, both sources', async () => {
    const first = await upload('song.mp3');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.sources, ['mp3']);
    assert.deepEqual(first.body.formats, ['mp3']);
    ids.song = first.body.upload_id;

    const second = await upload('song.WAV', { meta: { Genre: 'Test' } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.upload_id, ids.song);
    assert.deepEqual(second.body.sources.sort(), ['mp3', 'wav']);
    // Default formats grow with the new source's format.
    assert.deepEqual(second.body.formats, ['mp3', 'wav']);
    // The first file's fields stay; given meta merges in.
    assert.equal(second.body.meta.Filename, 'song.mp3');
    assert.equal(second.body.meta.Genre, 'Test');

    const { body } = await call('checkJob');
    jobId = body.job_id;
    assert.equal(body.q, 1, 'no new upload was made');
  });

  test('a second source of a format replaces the stored one', async () => {
    const before = await stack.store.uploadById(ids.song);
    const replaced = before!.sources.wav.storageKey;
    assert.ok(await stored(replaced));

    const again = await upload('v2/Song.wav');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.upload_id, ids.song);
    assert.deepEqual(again.body.sources.sort(), ['mp3', 'wav']);

    const after = await stack.store.uploadById(ids.song);
    const kept = after!.sources.wav.storageKey;
    assert.notEqual(kept, replaced);
    assert.equal(await stored(replaced), false, 'old source removed');
    assert.ok(await stored(kept));
  });

  test('the same name again is a new upload', async () => {
    const twin = await upload('v3/song.mp3');
    assert.equal(twin.status, 200, JSON.stringify(twin.body));
    assert.notEqual(twin.body.upload_id, ids.song);
    ids.twin = twin.body.upload_id;
  });

  test('explicit formats stay when a source is added', async () => {
    const first = await upload('other.mp3', { formats: 'mp3' });
    ids.other = first.body.upload_id;
    const second = await upload('other.flac');
    assert.equal(second.body.upload_id, ids.other);
    assert.deepEqual(second.body.formats, ['mp3']);
    assert.deepEqual(second.body.sources.sort(), ['flac', 'mp3']);
  });

  test('upload_id attaches a source of any name', async () => {
    const first = await upload('third.wav');
    ids.third = first.body.upload_id;
    const attached = await upload('bonus-master.flac', {
      upload_id: ids.third,
    });
    assert.equal(attached.status, 200, JSON.stringify(attached.body));
    assert.equal(attached.body.upload_id, ids.third);
    assert.deepEqual(attached.body.formats, ['mp3', 'wav', 'flac']);

    const foreign = await stack.call('/api/import/upload', other.token, {
      url: `${files.url}/bonus-master.flac`,
      upload_id: ids.third,
    });
    assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
    assert.equal(foreign.body.code, 'not_found');
  });

  test('each rendition follows the source of its format', async () => {
    const done = await publishAndWait(jobId);
    assert.deepEqual(
      { q: done.q, i: done.i, d: done.d, e: done.e },
      { q: 0, i: 0, d: 4, e: 0 },
    );

    const song = await getTrack(await trackOfUpload(jobId, ids.song));
    assert.deepEqual(Object.keys(song.formats).sort(), ['mp3', 'wav']);
    const wav = await download(song.track_id, 'wav');
    await assertTone(wav.file, HZ.songWav, 'song wav rendition');
    // The lossless source is used as it is: same samples.
    assert.ok(
      (await pcm(wav.file)).equals(await pcm(path.join(dir, 'v2/Song.wav'))),
      'wav rendition decodes to the wav source',
    );
    const mp3 = await download(song.track_id, 'mp3');
    await assertTone(mp3.file, HZ.songMp3, 'song mp3 rendition');

    const otherTrack = await getTrack(await trackOfUpload(jobId, ids.other));
    assert.deepEqual(Object.keys(otherTrack.formats), ['mp3']);
    const otherMp3 = await download(otherTrack.track_id, 'mp3');
    await assertTone(otherMp3.file, HZ.otherMp3, 'other mp3 rendition');

    const third = await getTrack(await trackOfUpload(jobId, ids.third));
    assert.deepEqual(
      Object.keys(third.formats).sort(),
      ['flac', 'mp3', 'wav'],
    );
    const flac = await download(third.track_id, 'flac');
    await assertTone(flac.file, HZ.extraFlac, 'third flac rendition');
    const thirdWav = await download(third.track_id, 'wav');
    await assertTone(thirdWav.file, HZ.thirdWav, 'third wav rendition');
  });

  test('a second source of another length errors its upload', async () => {
    const job = await call('createJob', { name: 'mixup' });
    const first = await upload('mixup.wav', { job_id: job.body.job_id });
    const second = await upload('mixup.mp3', { job_id: job.body.job_id });
    assert.equal(second.body.upload_id, first.body.upload_id);

    const done = await publishAndWait(job.body.job_id);
    assert.deepEqual([done.d, done.e], [0, 1]);
    const list = await call('list', { job_id: job.body.job_id });
    const [row] = list.body.tracks;
    assert.equal(row.error_code, 'verification_failed');
    assert.match(
      row.error,
      /^the mp3 source decodes to 1\.0 s but the wav source to 3\.0 s: /,
    );
  });

  test('an accent written as a letter and a mark is the same name', async () => {
    const job = await call('createJob', { name: 'nfd' });
    const first = await upload('Koraso\u0301n.mp3', { job_id: job.body.job_id });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await upload('Koras\u00f3n.wav', { job_id: job.body.job_id });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.upload_id, first.body.upload_id);
    assert.deepEqual(second.body.sources.sort(), ['mp3', 'wav']);
  });
});
