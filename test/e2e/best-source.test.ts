/**
 * End to end: the formats no source of an upload supplies are made from
 * its best source (most audio information), not the first or the one of
 * a favoured format. Each fixture is a tone of its own frequency, so a
 * rendition's tone names the source it was made from.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ffprobe,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { MP3, assertTone, tone, trackCalls } from './track-kit';

const HZ = { cdFlac: 1000, hiResWav: 2000, lossyMp3: 440, alac: 1500 };

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      const s16 = ['-sample_fmt', 's16'];
      await tone(dir, 'master.flac', HZ.cdFlac, { codec: 'flac', args: s16 });
      await tone(dir, 'master.wav', HZ.hiResWav, {
        codec: 'pcm_s24le',
        sampleRate: 96_000,
      });
      await tone(dir, 'take.mp3', HZ.lossyMp3, MP3);
      await tone(dir, 'take.m4a', HZ.alac, {
        codec: 'alac',
        sampleRate: 48_000,
        args: ['-sample_fmt', 's32p'],
      });
    },
  });
});

after(() => fixture?.close());

const { call, upload, getTrack, download, publishAndWait, trackOfUpload } =
  trackCalls(() => fixture);

/** Rate and bit depth of a downloaded rendition, as ffprobe reads them. */
async function shape(file: string) {
  const [stream] = (await ffprobe(file)).streams;
  const bits = Number(stream.bits_per_raw_sample) || stream.bits_per_sample;
  return { rate: Number(stream.sample_rate), bits };
}

async function renditionOf(trackId: number, format: string) {
  const { file } = await download(trackId, format);
  return { file, ...(await shape(file)) };
}

/**
 * Uploads `first` with `formats`, then `second` of the same stem in a job
 * of their own, publishes it and gives the one track made.
 */
async function trackOfPair(first: string, second: string, formats: string) {
  const job = await call('createJob', { name: first });
  const jobId = job.body.job_id;
  const one = await upload(first, { job_id: jobId, formats });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  const two = await upload(second, { job_id: jobId });
  assert.equal(two.body.upload_id, one.body.upload_id);

  const done = await publishAndWait(jobId);
  assert.deepEqual([done.d, done.e], [1, 0], JSON.stringify(done));
  return trackOfUpload(jobId, one.body.upload_id);
}

describe('the best source makes the formats without a source', () => {
  test('a 24/96 wav after a 16/44.1 flac makes the aiff and mp3', async () => {
    const formats = 'mp3,wav,aiff,flac';
    const trackId = await trackOfPair('master.flac', 'master.wav', formats);
    const track = await getTrack(trackId);
    assert.deepEqual(
      Object.keys(track.formats).sort(),
      ['aiff', 'flac', 'mp3', 'wav'],
    );

    const aiff = await renditionOf(trackId, 'aiff');
    await assertTone(aiff.file, HZ.hiResWav, 'aiff rendition');
    assert.deepEqual([aiff.rate, aiff.bits], [96_000, 24]);
    const mp3 = await renditionOf(trackId, 'mp3');
    await assertTone(mp3.file, HZ.hiResWav, 'mp3 rendition');
    assert.equal(mp3.rate, 48_000);

    // A format with a source of its own is still made from it.
    const flac = await renditionOf(trackId, 'flac');
    await assertTone(flac.file, HZ.cdFlac, 'flac rendition');
    assert.deepEqual([flac.rate, flac.bits], [44_100, 16]);
    const wav = await renditionOf(trackId, 'wav');
    await assertTone(wav.file, HZ.hiResWav, 'wav rendition');
    assert.deepEqual([wav.rate, wav.bits], [96_000, 24]);
  });

  test('a lossless source after a lossy one makes the wav', async () => {
    // The mp3 came first: an m4a is no format the old order favoured.
    const trackId = await trackOfPair('take.mp3', 'take.m4a', 'mp3,wav');

    const wav = await renditionOf(trackId, 'wav');
    await assertTone(wav.file, HZ.alac, 'wav rendition');
    assert.deepEqual([wav.rate, wav.bits], [48_000, 24]);
    // The mp3 still comes from the mp3 source.
    const mp3 = await renditionOf(trackId, 'mp3');
    await assertTone(mp3.file, HZ.lossyMp3, 'mp3 rendition');
  });
});
