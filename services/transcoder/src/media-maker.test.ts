import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '@ingest/config';
import type { OutputFormat } from '@ingest/core';
import { createLogger } from '@ingest/telemetry';
import { defaultBinaryPaths } from '@ingest/media';
import {
  crashWhenArgument,
  ffmpegWrapper,
  hangWhenArgument,
  ffprobe,
  makeTone,
  probedTags,
} from '@ingest/testkit';
import { mediaMaker } from './media-maker';
import {
  RetryableFault,
  UploadFault,
  type RenditionMaker,
} from './rendition-maker';

// Real ffmpeg on tones made at test time: what a source's fault becomes.

const run = promisify(execFile);

let dir: string;
let maker: RenditionMaker;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-maker-'));
  maker = await mediaMaker(loadConfig({}), createLogger('test', 'silent'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function faultOf(source: string, formats: OutputFormat[]) {
  const outDir = await mkdtemp(path.join(dir, 'out-'));
  try {
    await maker.make({ sources: { wav: source }, formats, meta: {}, outDir });
  } catch (err) {
    assert.ok(err instanceof UploadFault, String(err));
    return err;
  }
  assert.fail('the source was taken');
}

test('a source shorter than an mp3 frame errors as too_short', async () => {
  const source = await makeTone(path.join(dir, 'blip.wav'), {
    seconds: 0.01,
    channels: 1,
  });

  const fault = await faultOf(source, ['mp3', 'wav']);
  assert.equal(fault.code, 'too_short');
  assert.match(fault.message, /too short to publish/);
});

test('a source of more than 8 channels errors as too_many_channels', async () => {
  const source = await makeTone(path.join(dir, 'stems.wav'), {
    seconds: 0.5,
    sampleRate: 8000,
    channels: 16,
  });

  const fault = await faultOf(source, ['mp3', 'wav', 'flac']);
  assert.equal(fault.code, 'too_many_channels');
  assert.match(fault.message, /^source has 16 audio channels; .* at most 8/);
});

test('a sample rate below 8 kHz errors as unsupported_sample_rate', async () => {
  const source = await makeTone(path.join(dir, 'damaged.wav'), {
    seconds: 60,
    frequency: 1,
    sampleRate: 5,
  });

  const fault = await faultOf(source, ['mp3', 'wav']);
  assert.equal(fault.code, 'unsupported_sample_rate');
  assert.match(fault.message, /^source has a sample rate of 5 Hz, below/);
});

/** A maker whose ffmpeg runs the shell lines `first` (ffmpegWrapper). */
async function wrappedMaker(
  name: string,
  first: string[],
  settings: Record<string, string> = {},
) {
  const wrapper = await ffmpegWrapper(path.join(dir, name), first);
  return mediaMaker(
    loadConfig({ ...settings, FFMPEG_PATH: wrapper }),
    createLogger('test', 'silent'),
  );
}

async function failureOf(maker: RenditionMaker, formats: OutputFormat[]) {
  const source = await makeTone(path.join(dir, 'fine.wav'), { seconds: 1 });
  const outDir = await mkdtemp(path.join(dir, 'out-'));
  return maker
    .make({ sources: { wav: source }, formats, meta: {}, outDir })
    .then(() => assert.fail('the crash went unnoticed'), (e: unknown) => e);
}

test('ffmpeg crashing in the pass is a named, retryable failure', async () => {
  // Any run writing a rendition says something and dies by SIGSEGV.
  const maker = await wrappedMaker(
    'ffmpeg-crashing-pass',
    crashWhenArgument('*/out.*', 'Simulated encoder crash'),
  );
  const err = await failureOf(maker, ['mp3', 'wav']);
  assert.ok(err instanceof RetryableFault, String(err));
  assert.equal(err.code, 'transcode_failed');
  assert.match(
    err.message,
    /^ffmpeg was killed by SIGSEGV: \d+ Simulated encoder crash$/,
  );
});

test('ffmpeg crashing while checking a rendition is retryable too', async () => {
  // Only the run that decodes the mp3 back (its input) crashes: the
  // rendition is fine, so this is no verification failure of the source.
  const maker = await wrappedMaker(
    'ffmpeg-crashing-check',
    crashWhenArgument('file:*/out.mp3', 'Simulated decoder crash', '-i'),
  );
  const err = await failureOf(maker, ['mp3', 'wav']);
  assert.ok(err instanceof RetryableFault, String(err));
  assert.equal(err.code, 'transcode_failed');
  assert.match(
    err.message,
    /^ffmpeg was killed by SIGSEGV: \d+ Simulated decoder crash$/,
  );
});

test('a pass stuck until INGEST_TRANSCODE_TIMEOUT is a named failure, not retried', async () => {
  // The run writing the renditions hangs, decoding nothing, until the
  // time limit kills it (a slow run, retried, is test/faults/ffmpeg-timeout).
  const maker = await wrappedMaker(
    'ffmpeg-hanging-pass',
    hangWhenArgument('*/out.*'),
    { INGEST_TRANSCODE_TIMEOUT: '3s' },
  );
  const err = await failureOf(maker, ['mp3', 'wav']);
  assert.ok(err instanceof UploadFault, String(err));
  assert.equal(err.code, 'transcode_timeout');
  assert.match(
    err.message,
    /^transcode decoded nothing in its last 3 s .*INGEST_TRANSCODE_TIMEOUT \(3s\): .*WAV or FLAC/,
  );
});

/** The MD5 of a file's decoded samples, as ffmpeg's md5 muxer gives it. */
async function samplesMd5(file: string): Promise<string> {
  const { stdout } = await run(defaultBinaryPaths().ffmpegPath, [
    '-hide_banner', '-loglevel', 'error',
    '-i', file, '-map', '0:a', '-f', 'md5', '-',
  ]);
  return stdout.trim();
}

test('retag: new tags, the same audio, no second lossy generation', async () => {
  const source = await makeTone(path.join(dir, 'tagged.wav'), {
    seconds: 2,
    codec: 'pcm_s24le',
  });
  const outDir = await mkdtemp(path.join(dir, 'out-'));
  const made = await maker.make({
    sources: { wav: source },
    formats: ['mp3', 'flac'],
    meta: { Title: 'One', Artist: 'Someone' },
    outDir,
  });
  // The loop below proves nothing over an empty list.
  assert.deepEqual(made.map((r) => r.format).sort(), ['flac', 'mp3']);

  for (const rendition of made) {
    const copyDir = await mkdtemp(path.join(dir, 'retag-'));
    const copy = await maker.retag({
      source: rendition.path,
      format: rendition.format,
      meta: { Title: 'Two', Album: 'New' },
      outDir: copyDir,
    });
    const what = rendition.format;
    assert.notEqual(copy.sha256, rendition.sha256, what);
    assert.equal(copy.codec, rendition.codec, what);
    assert.equal(copy.sampleRate, rendition.sampleRate, what);
    assert.equal(copy.bitDepth, rendition.bitDepth, what);
    assert.equal(copy.bitrate, rendition.bitrate, what);
    assert.equal(
      await samplesMd5(copy.path),
      await samplesMd5(rendition.path),
      `${what}: the same samples decode`,
    );
    const tags = probedTags(await ffprobe(copy.path));
    assert.equal(tags.title, 'Two', what);
    assert.equal(tags.album, 'New', what);
    assert.equal(tags.artist, undefined, `${what}: old tags dropped`);
  }
});

test('a published rendition longer than INGEST_MAX_DURATION is still re-tagged', async () => {
  // The limit was lowered after the track was published: its metadata
  // must still be updatable. A retag's source is a rendition of ours.
  const capped = await mediaMaker(
    loadConfig({ INGEST_MAX_DURATION: '2s' }),
    createLogger('test', 'silent'),
  );
  const rendition = await makeTone(path.join(dir, 'published.wav'), {
    seconds: 4,
    sampleRate: 8000,
    channels: 1,
  });
  const outDir = await mkdtemp(path.join(dir, 'retag-'));
  const made = await capped.retag({
    source: rendition,
    format: 'wav',
    meta: { Title: 'Renamed' },
    outDir,
  });
  assert.ok(Math.abs(made.duration - 4) < 0.05, `${made.duration} s`);
  // A new source is still held to the limit.
  await assert.rejects(
    capped.make({ sources: { wav: rendition }, formats: ['wav'], meta: {}, outDir }),
    { code: 'source_too_long' },
  );
});
