import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sampleFormatOf } from './probe';

// How ffprobe 6 describes the decoded samples of Dolby, DTS and DSD
// streams, and what the renditions' bit depth policy makes of it.

test('DTS-HD Master Audio keeps its depth; a DTS core is lossy', () => {
  const core = { sample_fmt: 'fltp' };
  assert.deepEqual(sampleFormatOf(core, 'dts'), { sampleKind: 'lossy', bitDepth: null });
  const master = { sample_fmt: 's32p', bits_per_raw_sample: '24' };
  assert.deepEqual(sampleFormatOf(master, 'dts'), { sampleKind: 'int', bitDepth: 24 });
  const master16 = { sample_fmt: 's16p' };
  assert.deepEqual(sampleFormatOf(master16, 'dts'), { sampleKind: 'int', bitDepth: 16 });
});

test('TrueHD and MLP are lossless, AC-3 lossy, DSD float', () => {
  const truehd = { sample_fmt: 's32', bits_per_raw_sample: '24' };
  assert.deepEqual(sampleFormatOf(truehd, 'truehd'), { sampleKind: 'int', bitDepth: 24 });
  assert.deepEqual(sampleFormatOf({ sample_fmt: 's16' }, 'mlp'), {
    sampleKind: 'int',
    bitDepth: 16,
  });
  assert.equal(sampleFormatOf({ sample_fmt: 'fltp' }, 'eac3').sampleKind, 'lossy');
  assert.deepEqual(sampleFormatOf({ sample_fmt: 'fltp' }, 'dsd_lsbf_planar'), {
    sampleKind: 'float',
    bitDepth: 1,
  });
});
