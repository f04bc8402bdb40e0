import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  durationLimitProblem,
  MAX_CHANNELS,
  renditionByteCap,
  renditionLimitProblem,
  sourceLimitProblem,
} from './source-limits';

const source = (channels: number, sampleRate = 44_100) => ({
  channels,
  sampleRate,
});

test('sources of up to 8 channels make renditions', () => {
  assert.equal(MAX_CHANNELS, 8);
  for (let channels = 1; channels <= 8; channels++) {
    assert.equal(sourceLimitProblem(source(channels)), null, `${channels}`);
  }
});

test('more than 8 channels is refused, saying what to do', () => {
  for (const channels of [9, 12, 16, 64]) {
    assert.equal(
      sourceLimitProblem(source(channels))?.code,
      'too_many_channels',
    );
  }
  assert.equal(
    sourceLimitProblem(source(16))?.message,
    'source has 16 audio channels; renditions hold at most 8 ' +
      '(7.1 surround): mix it down to 8 or fewer (stereo for music) ' +
      'and upload it again',
  );
});

test('sample rates from 8 to 384 kHz make renditions', () => {
  for (const rate of [8000, 11_025, 44_100, 96_000, 352_800, 384_000]) {
    assert.equal(sourceLimitProblem(source(2, rate)), null, `${rate}`);
  }
  // No rate known: decoding decides.
  assert.equal(sourceLimitProblem(source(2, 0)), null);
});

test('a rate below 8 kHz or above 384 kHz is refused', () => {
  for (const rate of [5, 1000, 7999, 384_001, 768_000]) {
    assert.equal(
      sourceLimitProblem(source(2, rate))?.code,
      'unsupported_sample_rate',
      `${rate}`,
    );
  }
  assert.match(
    sourceLimitProblem(source(2, 5))?.message ?? '',
    /^source has a sample rate of 5 Hz, below the 8000 Hz renditions need/,
  );
  assert.match(
    sourceLimitProblem(source(2, 768_000))?.message ?? '',
    /^source has a sample rate of 768000 Hz, above the 384000 Hz/,
  );
});

test('flac takes rates above 65534 Hz in tens of Hz only', () => {
  for (const rate of [8000, 65_534, 88_200, 96_000, 352_800, 384_000]) {
    assert.equal(renditionLimitProblem('flac', source(2, rate)), null);
  }
  for (const rate of [65_535, 88_201, 96_001, 383_999]) {
    assert.equal(
      renditionLimitProblem('flac', source(2, rate))?.code,
      'unsupported_sample_rate',
      `${rate}`,
    );
  }
  for (const format of ['mp3', 'wav', 'aiff'] as const) {
    assert.equal(renditionLimitProblem(format, source(2, 88_201)), null);
  }
});

test('a source longer than INGEST_MAX_DURATION is source_too_long', () => {
  const cap = 4 * 3600;
  assert.equal(durationLimitProblem(3 * 3600, cap, 'declared'), null);
  assert.equal(durationLimitProblem(cap + 0.4, cap, 'decoded'), null);
  assert.equal(durationLimitProblem(null, cap, 'declared'), null);
  assert.equal(
    durationLimitProblem(10 * 3600 + 61, cap, 'declared')?.message,
    'source lasts 10 h 1 min 1 s, longer than the 4 h renditions are made of ' +
      'at most (INGEST_MAX_DURATION): cut or split it and upload it again',
  );
  const decoded = durationLimitProblem(cap + 1, cap, 'decoded');
  assert.equal(decoded?.code, 'source_too_long');
  assert.match(decoded?.message ?? '', /^source decodes to more than 4 h, /);
});

test("a rendition's byte cap holds the longest source's audio", () => {
  const cap = 4 * 3600;
  const hires = { format: 'wav' as const, sampleRate: 384_000, channels: 8, bitDepth: 24 as const };
  // Past 4 GiB: the wav is written as RF64 (README), not refused.
  assert.ok(renditionByteCap(hires, cap) > 384_000 * 8 * 3 * cap);
  const mp3 = { format: 'mp3' as const, sampleRate: 44_100, channels: 2, bitDepth: null };
  assert.ok(renditionByteCap(mp3, cap) > 40_000 * cap);
  assert.ok(renditionByteCap(mp3, 10) < 70 * 1024 ** 2);
});
