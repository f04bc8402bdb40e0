import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  encodingFor,
  losslessBitDepth,
  mp3AsIs,
  mp3SampleFormat,
  mp3Channels,
  mp3SampleRate,
  type PolicyInput,
} from './encoding-policy';

const source = (over: Partial<PolicyInput>): PolicyInput => ({
  sampleRate: 44_100,
  channels: 2,
  sampleKind: 'int',
  bitDepth: 16,
  ...over,
});

test('mp3 rate keeps 44.1/48 kHz and folds their multiples down', () => {
  assert.equal(mp3SampleRate(44_100), 44_100);
  assert.equal(mp3SampleRate(48_000), 48_000);
  assert.equal(mp3SampleRate(88_200), 44_100);
  assert.equal(mp3SampleRate(176_400), 44_100);
  assert.equal(mp3SampleRate(96_000), 48_000);
  assert.equal(mp3SampleRate(192_000), 48_000);
});

test('mp3 rate lifts lower rates to 44.1 kHz, odd rates to the nearer', () => {
  for (const rate of [8000, 11_025, 16_000, 22_050, 32_000]) {
    assert.equal(mp3SampleRate(rate), 44_100, `rate ${rate}`);
  }
  assert.equal(mp3SampleRate(45_000), 44_100);
  assert.equal(mp3SampleRate(47_000), 48_000);
  assert.equal(mp3SampleRate(50_000), 48_000);
});

test('mp3 keeps mono and stereo, downmixes more channels to two', () => {
  assert.equal(mp3Channels(1), 1);
  assert.equal(mp3Channels(2), 2);
  assert.equal(mp3Channels(4), 2);
  assert.equal(mp3Channels(6), 2);
});

test('only a 320 kb/s mp3 at 44.1 or 48 kHz, mono or stereo, is taken as it is', () => {
  type Audio = { codec: string; sampleRate: number; channels: number; bitrate: number | null };
  const mp3: Audio = { codec: 'mp3', sampleRate: 44_100, channels: 2, bitrate: 320_000 };
  const asIs = (audio: Audio | null, container = 'mp3') =>
    mp3AsIs({ container, audio });
  assert.equal(asIs(mp3), true);
  assert.equal(asIs({ ...mp3, sampleRate: 48_000, channels: 1 }), true);
  assert.equal(asIs({ ...mp3, bitrate: 128_000 }), false);
  assert.equal(asIs({ ...mp3, bitrate: null }), false);
  assert.equal(asIs({ ...mp3, sampleRate: 22_050 }), false);
  assert.equal(asIs({ ...mp3, codec: 'aac' }), false);
  assert.equal(asIs(null), false);
  // Its frames in a WAV or Matroska file are encoded, not copied.
  assert.equal(asIs(mp3, 'wav'), false);
  assert.equal(asIs(mp3, 'matroska'), false);
});

test('only a float source goes into the mp3 encoder as 32-bit integers', () => {
  const source = { sampleRate: 48_000, channels: 2, bitDepth: 32 };
  assert.equal(mp3SampleFormat({ ...source, sampleKind: 'float' }), 's32p');
  assert.equal(mp3SampleFormat({ ...source, sampleKind: 'int' }), null);
  assert.equal(mp3SampleFormat({ ...source, sampleKind: 'lossy', bitDepth: null }), null);
});

test('lossless depth is 16 or 24 by the source kind and width', () => {
  assert.equal(losslessBitDepth(source({ bitDepth: 16 })), 16);
  assert.equal(losslessBitDepth(source({ bitDepth: 24 })), 24);
  assert.equal(losslessBitDepth(source({ bitDepth: 32 })), 24);
  assert.equal(losslessBitDepth(source({ bitDepth: 8 })), 16);
  assert.equal(losslessBitDepth(source({ bitDepth: 4 })), 16);
  assert.equal(
    losslessBitDepth(source({ sampleKind: 'float', bitDepth: 32 })),
    24,
  );
  assert.equal(
    losslessBitDepth(source({ sampleKind: 'float', bitDepth: 64 })),
    24,
  );
  assert.equal(
    losslessBitDepth(source({ sampleKind: 'lossy', bitDepth: null })),
    16,
  );
});

test('encoder choice per format and depth', () => {
  const hi = source({ sampleRate: 96_000, bitDepth: 24, channels: 6 });
  assert.deepEqual(encodingFor('mp3', hi), {
    format: 'mp3',
    codec: 'libmp3lame',
    sampleRate: 48_000,
    channels: 2,
    bitDepth: null,
    bitrate: 320_000,
  });
  assert.equal(encodingFor('wav', hi).codec, 'pcm_s24le');
  assert.equal(encodingFor('aiff', hi).codec, 'pcm_s24be');
  assert.equal(encodingFor('flac', hi).codec, 'flac');
  assert.equal(encodingFor('flac', hi).sampleRate, 96_000);
  assert.equal(encodingFor('flac', hi).channels, 6);
  assert.equal(encodingFor('wav', source({})).codec, 'pcm_s16le');
  assert.equal(encodingFor('aiff', source({})).codec, 'pcm_s16be');
});
