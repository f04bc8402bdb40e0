/**
 * End to end, on one stack: secondary sources (same name, another
 * extension, or `upload_id`) and updates of published tracks (deferred
 * and immediate). Which source a rendition was made from is told by its
 * tone: every fixture has its own frequency.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { defaultBinaryPaths } from '@ingest/media';
import { openQueue } from '@ingest/queue';
import {
  TestStack,
  makeTone,
  serveFiles,
  toneFrequency,
  type LoopbackServer,
  type TestSite,
} from '@ingest/testkit';

const run = promisify(execFile);

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

/** Tones by fixture; a rendition's frequency names its source. */
const HZ = {
  songMp3: 440,
  twinMp3: 660,
  songWavFirst: 2000,
  songWav: 1000,
  otherMp3: 330,
  thirdWav: 550,
  extraFlac: 1500,
  longWav: 600,
  nowWav: 3000,
  laterWav: 800,
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-sources-'));
  const tone = (name: string, frequency: number, extra = {}) =>
    makeTone(path.join(dir, name), { seconds: 3, frequency, ...extra });
  const mp3 = { codec: 'libmp3lame' };
  await mkdir(path.join(dir, 'v2'));
  await mkdir(path.join(dir, 'v3'));
  await tone('song.mp3', HZ.songMp3, mp3);
  await tone('song.WAV', HZ.songWavFirst);
  await tone('v2/Song.wav', HZ.songWav);
  await tone('v3/song.mp3', HZ.twinMp3, mp3);
  await tone('other.mp3', HZ.otherMp3, mp3);
  await tone('other.flac', HZ.extraFlac, { codec: 'flac' });
  await tone('third.wav', HZ.thirdWav);
  await tone('bonus-master.flac', HZ.extraFlac, { codec: 'flac' });
  // Large enough (≈17 MB) that a paused download cannot sit whole in
  // socket buffers: the server must still read the file after the swap.
  const long = { seconds: 60, sampleRate: 48_000, codec: 'pcm_s24le' };
  await tone('long.wav', HZ.longWav, long);
  await tone('long-now.wav', HZ.nowWav, long);
  await tone('later.wav', HZ.laterWav);

  files = await serveFiles(dir);
  stack = await TestStack.start();
  site = await stack.createSite();
  other = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

const upload = (name: string, params: Record<string, unknown> = {}) =>
  call('upload', { url: `${files.url}/${name}`, ...params });

async function getTrack(trackId: number) {
  const { status, body } = await stack.call(
    '/api/tracks/getById',
    site.token,
    { track_id: trackId },
  );
  assert.equal(status, 200, JSON.stringify(body));
  return body.track;
}

/** Downloads a rendition to a file; gives the path and its sha256. */
async function download(trackId: number, format: string) {
  const res = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
      `&format=${format}&token=${site.token}`,
  );
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const file = path.join(dir, `dl-${trackId}-${Date.now()}.${format}`);
  await writeFile(file, bytes);
  return { file, sha256: sha256(bytes) };
}

const sha256 = (bytes: Buffer) =>
  createHash('sha256').update(bytes).digest('hex');

/** The decoded samples of a file, as 16-bit PCM at its own rate. */
async function pcm(file: string): Promise<Buffer> {
  const { stdout } = await run(
    defaultBinaryPaths().ffmpegPath,
    ['-v', 'error', '-i', file, '-map', '0:a', '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return stdout as Buffer;
}

async function assertTone(file: string, hz: number, what: string) {
  const measured = await toneFrequency(file);
  assert.ok(
    Math.abs(measured - hz) < hz * 0.02,
    `${what}: expected a ${hz} Hz tone, measured ${measured.toFixed(1)} Hz`,
  );
}

const stored = (storageKey: string) =>
  access(path.join(stack.dataDir, 'storage', storageKey)).then(
    () => true,
    () => false,
  );

async function publishAndWait(jobId?: number) {
  const published = await call('publish', jobId ? { job_id: jobId } : {});
  assert.equal(published.status, 200, JSON.stringify(published.body));
  return stack.waitForJob(site.token, published.body.job_id);
}

async function trackOfUpload(jobId: number, uploadId: number) {
  const { body } = await call('list', { job_id: jobId });
  const row = body.tracks.find((t: any) => t.upload_id === uploadId);
  assert.ok(row, `upload ${uploadId} in ${JSON.stringify(body)}`);
  assert.equal(row.status, 'published', JSON.stringify(row));
  return row.track_id as number;
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
});

describe('updates of published tracks', () => {
  let longTrack: number;
  let laterTrack: number;
  let firstUpdateId: number;

  before(async () => {
    const long = await upload('long.wav', { meta: { Title: 'Long' } });
    assert.equal(long.status, 200, JSON.stringify(long.body));
    const later = await upload('later.wav', {
      meta: { Title: 'Later', Artist: 'Someone' },
    });
    const done = await publishAndWait();
    longTrack = await trackOfUpload(done.job_id, long.body.upload_id);
    laterTrack = await trackOfUpload(done.job_id, later.body.upload_id);
  });

  test("another site's track is not found", async () => {
    const { status, body } = await stack.call(
      '/api/import/upload',
      other.token,
      { url: `${files.url}/later.wav`, track_id: longTrack, immediate: 1 },
    );
    assert.equal(status, 404, JSON.stringify(body));
    assert.equal(body.code, 'not_found');
  });

  test('immediate: one rendition replaced while a download runs', async () => {
    const before = await getTrack(longTrack);
    const oldWav = before.formats.wav;
    const record = await stack.store.getTrack(site.id, longTrack);
    const oldKey = record!.renditions.wav!.storageKey;

    // A download of the old wav that has begun, then stalls.
    const slow = await pausedDownload(longTrack, 'wav');
    assert.equal(slow.length, oldWav.bytes);

    const { status, body } = await upload('long-now.wav', {
      track_id: longTrack,
      immediate: 1,
      format: 'wav',
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.result, 'uploaded');
    assert.equal(body.update_to, longTrack);
    assert.ok(Number.isInteger(body.update_id) && body.update_id > 0);
    firstUpdateId = body.update_id;

    const updated = await until(async () => {
      const track = await getTrack(longTrack);
      return track.formats.wav.sha256 !== oldWav.sha256 && track;
    });
    assert.equal(updated.track_id, longTrack);
    assert.equal(updated.formats.mp3.sha256, before.formats.mp3.sha256);
    assert.equal(await stored(oldKey), false, 'old rendition removed');

    // The stalled download still gets the old file, whole.
    const rest = await slow.finish();
    assert.equal(rest.length, oldWav.bytes);
    assert.equal(sha256(rest), oldWav.sha256);

    const fresh = await download(longTrack, 'wav');
    assert.equal(fresh.sha256, updated.formats.wav.sha256);
    await assertTone(fresh.file, HZ.nowWav, 'updated wav rendition');
  });

  test('a finished update run again changes nothing', async () => {
    const before = await getTrack(longTrack);
    const queue = openQueue('transcode', stack.redis);
    try {
      const job = await queue.add(
        'transcode',
        { uploadId: before.upload_id, updateId: firstUpdateId },
        { jobId: `replay-${firstUpdateId}` },
      );
      const result = await until(async () => {
        const state = await queue.getJobState(job.id!);
        return state === 'completed' && (await queue.getJob(job.id!));
      });
      assert.deepEqual(result?.returnvalue, {
        outcome: 'skipped',
        reason: 'finished',
      });
    } finally {
      await queue.close();
    }
    assert.deepEqual(await getTrack(longTrack), before);
  });

  test('deferred: waits in the job, applied at publish', async () => {
    const before = await getTrack(laterTrack);
    const { status, body } = await upload('song.mp3', {
      track_id: laterTrack,
      meta: { Title: 'Later, remastered' },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.update_to, laterTrack);
    assert.equal(body.update_id, firstUpdateId + 1);

    const waiting = await call('checkJob');
    assert.equal(waiting.body.q, 1, 'the update counts as waiting');
    assert.deepEqual(await getTrack(laterTrack), before);

    const done = await publishAndWait();
    assert.equal(done.d, 1);
    assert.equal(done.e, 0);

    const after = await getTrack(laterTrack);
    assert.equal(after.track_id, laterTrack);
    // Every format of the track was replaced from the new source.
    assert.deepEqual(Object.keys(after.formats).sort(), ['mp3', 'wav']);
    for (const format of ['mp3', 'wav']) {
      const { sha256: now } = after.formats[format];
      assert.notEqual(now, before.formats[format].sha256);
      const file = await download(laterTrack, format);
      assert.equal(file.sha256, now);
      await assertTone(file.file, HZ.songMp3, `updated ${format}`);
    }
    // Given fields merge into the track's meta; the rest stays.
    assert.equal(after.meta.Title, 'Later, remastered');
    assert.equal(after.meta.Artist, 'Someone');
  });
});

/** Polls until `check` gives something truthy; generous deadline. */
async function until<T>(check: () => Promise<T | false>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts a download, reads its first chunk and stops reading; `finish`
 * reads the rest. Gives the announced length too.
 */
async function pausedDownload(trackId: number, format: string) {
  const url =
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
    `&format=${format}&token=${site.token}`;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, resolve).on('error', reject),
  );
  assert.equal(res.statusCode, 200);
  const chunks: Buffer[] = [];
  const first = await new Promise<Buffer>((resolve) =>
    res.once('data', (chunk: Buffer) => {
      res.pause();
      resolve(chunk);
    }),
  );
  chunks.push(first);
  return {
    length: Number(res.headers['content-length']),
    finish: async () => {
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
