import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import type { OutputFormat } from '@ingest/core';
import { createLogger } from '@ingest/telemetry';
import { crashWhenArgument, ffmpegWrapper, makeTone } from '@ingest/testkit';
import { mediaMaker } from './media-maker';
import {
  RetryableFault,
  UploadFault,
  type RenditionMaker,
} from './rendition-maker';

// Real ffmpeg on tones made at test time: what a source's fault becomes.

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

/** A maker whose ffmpeg crashes on runs matching `crash`. */
async function crashingMaker(name: string, crash: string[]) {
  const crashing = await ffmpegWrapper(path.join(dir, name), crash);
  return mediaMaker(
    loadConfig({ FFMPEG_PATH: crashing }),
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
  const maker = await crashingMaker(
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
  const maker = await crashingMaker(
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
