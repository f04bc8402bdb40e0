/**
 * End to end: updates of published tracks, deferred (applied at the
 * next publish) and immediate (while a download of the old rendition
 * runs). Which source a rendition was made from is told by its tone:
 * every fixture has its own frequency.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';
import { openQueue } from '@ingest/queue';
import { keys } from '@ingest/state';
import {
  ffprobe,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';
import {
  HZ,
  MP3,
  assertTone,
  sha256,
  tone,
  trackCalls,
} from './track-kit';

let fixture: FixtureStack;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

async function writeFixtures(dir: string) {
  await tone(dir, 'song.mp3', HZ.songMp3, MP3);
  // Large enough (≈17 MB) that a paused download cannot sit whole in
  // socket buffers: the server must still read the file after the swap.
  const long = { seconds: 60, sampleRate: 48_000, codec: 'pcm_s24le' };
  await tone(dir, 'long.wav', HZ.longWav, long);
  await tone(dir, 'long-now.wav', HZ.nowWav, long);
  await tone(dir, 'later.wav', HZ.laterWav);
  // A source cut to a third of its bytes: the update errors truncated.
  const whole = await tone(dir, 'whole.wav', HZ.laterWav, { seconds: 6 });
  const bytes = await readFile(whole);
  await writeFile(path.join(dir, 'cut.wav'), bytes.subarray(0, bytes.length / 3));
  // An mp3 with cover art, and one of another tone without.
  await tone(dir, 'bare.mp3', HZ.otherMp3, MP3);
  await promisify(execFile)(defaultBinaryPaths().ffmpegPath, [
    '-v', 'error', '-y',
    '-i', path.join(dir, 'bare.mp3'),
    '-f', 'lavfi', '-i', 'color=c=red:s=32x32:d=1',
    '-map', '0:a', '-map', '1:v', '-frames:v', '1',
    '-c:a', 'copy', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic',
    '-id3v2_version', '3',
    path.join(dir, 'art.mp3'),
  ]);
  await tone(dir, 'plain.mp3', HZ.twinMp3, MP3);
  // One recording of 2 s, another of 5 s in one format only.
  await tone(dir, 'two.flac', HZ.extraFlac, { seconds: 2, channels: 2 });
  await tone(dir, 'five.mp3', HZ.otherMp3, { ...MP3, seconds: 5, channels: 1 });
}

/** Whether a file holds a picture stream (an mp3's APIC frame). */
async function hasPicture(file: string) {
  const { streams } = await ffprobe(file);
  return streams.some((s) => s.codec_type === 'video');
}

/** A track as getById answers it, less its list of updates. */
function withoutUpdates(track: Record<string, unknown>) {
  const { updates: _, ...rest } = track;
  return rest;
}

before(async () => {
  fixture = await startFixtureStack({ fixtures: writeFixtures });
  ({ files, stack, site } = fixture);
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

/** Polls until `check` gives something truthy; generous deadline. */
const until = <T>(check: () => Promise<T | false>) =>
  waitUntil(check, { timeoutMs: 120_000, intervalMs: 200 });

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

    // The track names the new file before the old one goes; the update
    // is marked published after that.
    const updated = await until(async () => {
      const track = await getTrack(longTrack);
      const update = track.updates.find((u: any) => u.update_id === firstUpdateId);
      return update?.status === 'published' && track;
    });
    assert.notEqual(updated.formats.wav.sha256, oldWav.sha256);
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

  /** Runs the update's transcode job once more; gives what it returned. */
  async function replay(uploadId: number, updateId: number, jobId: string) {
    const queue = openQueue('transcode', stack.redis);
    try {
      const job = await queue.add(
        'transcode',
        { uploadId, updateId },
        { jobId },
      );
      const result = await until(async () => {
        const state = await queue.getJobState(job.id!);
        return state === 'completed' && (await queue.getJob(job.id!));
      });
      return result?.returnvalue;
    } finally {
      await queue.close();
    }
  }

  test('a finished update run again changes nothing', async () => {
    const before = await getTrack(longTrack);
    const result = await replay(
      before.upload_id,
      firstUpdateId,
      `replay-${firstUpdateId}`,
    );
    assert.deepEqual(result, { outcome: 'skipped', reason: 'finished' });
    assert.deepEqual(await getTrack(longTrack), before);
  });

  test('an applied update run again keeps its files and their dates', async () => {
    // A transcoder that died after changing the track but before marking
    // the update published leaves it transcoding: the queue runs it again.
    const before = await stack.store.getTrack(site.id, longTrack);
    assert.ok(before?.renditions.wav?.storedAt, 'the wav has a date');
    await stack.redis.hset(keys.update(firstUpdateId), 'status', 'transcoding');
    const result = await replay(
      before.uploadId,
      firstUpdateId,
      `rerun-${firstUpdateId}`,
    );
    assert.deepEqual(result, { outcome: 'published', trackId: longTrack });
    // The same bytes again under the same key: the same version, with
    // the date Last-Modified gives it.
    const after = await stack.store.getTrack(site.id, longTrack);
    assert.deepEqual(after?.renditions, before.renditions);
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
    const meanwhile = await getTrack(laterTrack);
    assert.deepEqual(withoutUpdates(meanwhile), withoutUpdates(before));
    assert.deepEqual(
      meanwhile.updates.map((u: any) => [u.update_id, u.status, u.immediate]),
      [[body.update_id, 'uploaded', false]],
    );

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
    assert.equal(after.updates.at(-1).status, 'published');
  });

  test('a failed immediate update shows on getById; the track stays', async () => {
    const before = await getTrack(laterTrack);
    const { status, body } = await upload('cut.wav', {
      track_id: laterTrack,
      immediate: 1,
    });
    assert.equal(status, 200, JSON.stringify(body));

    const failed = await until(async () => {
      const track = await getTrack(laterTrack);
      const update = track.updates.find(
        (u: any) => u.update_id === body.update_id,
      );
      return update?.status === 'error' && { track, update };
    });
    assert.equal(failed.update.error_code, 'truncated');
    assert.match(failed.update.error, /^truncated: header says 6\.0 s/);
    assert.equal(failed.update.immediate, true);
    assert.equal(failed.update.job_id, undefined);
    assert.deepEqual(withoutUpdates(failed.track), withoutUpdates(before));

    const first = (await getTrack(longTrack)).updates;
    assert.deepEqual(
      first.map((u: any) => [u.update_id, u.status]),
      [[firstUpdateId, 'published']],
    );
  });
});

test('an mp3 remade from a source without art keeps the track\'s', async () => {
  const art = await upload('art.mp3');
  assert.equal(art.status, 200, JSON.stringify(art.body));
  const done = await publishAndWait();
  const trackId = await trackOfUpload(done.job_id, art.body.upload_id);
  assert.ok(await hasPicture((await download(trackId, 'mp3')).file));

  const before = await getTrack(trackId);
  const { status, body } = await upload('plain.mp3', {
    track_id: trackId,
    immediate: 1,
    format: 'mp3',
  });
  assert.equal(status, 200, JSON.stringify(body));
  const updated = await until(async () => {
    const track = await getTrack(trackId);
    return track.formats.mp3.sha256 !== before.formats.mp3.sha256 && track;
  });
  const mp3 = await download(trackId, 'mp3');
  assert.equal(mp3.sha256, updated.formats.mp3.sha256);
  await assertTone(mp3.file, HZ.twinMp3, 'the updated mp3');
  assert.ok(await hasPicture(mp3.file), 'the track\'s cover was dropped');
});

test('an update of some formats must be the recording the rest hold', async () => {
  const first = await upload('two.flac');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const done = await publishAndWait();
  const trackId = await trackOfUpload(done.job_id, first.body.upload_id);
  const before = await getTrack(trackId);
  assert.deepEqual(Object.keys(before.formats).sort(), ['flac', 'mp3']);

  /** Sends five.mp3 as an immediate update; gives it once it ended. */
  const settled = async (params: Record<string, unknown>) => {
    const sent = await upload('five.mp3', { track_id: trackId, immediate: 1, ...params });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return until(async () => {
      const track = await getTrack(trackId);
      const update = track.updates.find(
        (u: any) => u.update_id === sent.body.update_id,
      );
      return ['published', 'error'].includes(update?.status) && { track, update };
    });
  };

  const partial = await settled({ format: 'mp3' });
  assert.equal(partial.update.status, 'error', JSON.stringify(partial.update));
  assert.equal(partial.update.error_code, 'verification_failed');
  assert.equal(
    partial.update.error,
    "the update's audio lasts 5.0 s and the track's flac, which it does " +
      'not replace, lasts 2.0 s: one track holds one recording. Send the ' +
      'update for every format of the track (flac, mp3) to replace the ' +
      'recording, or send the same recording for mp3',
  );
  assert.deepEqual(withoutUpdates(partial.track), withoutUpdates(before));
  const record = await stack.store.getTrack(site.id, trackId);
  const keys = Object.values(record!.renditions).map((r) => r.storageKey);
  assert.deepEqual(
    await Promise.all(keys.map(stored)),
    [true, true],
    'the kept files stay',
  );

  // Every format replaced: a new recording for the whole track.
  const whole = await settled({});
  assert.equal(whole.update.status, 'published', JSON.stringify(whole.update));
  for (const format of ['flac', 'mp3']) {
    const { duration } = whole.track.formats[format];
    assert.ok(Math.abs(duration - 5) < 0.05, `${format}: ${duration} s`);
  }
});

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
