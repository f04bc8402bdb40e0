import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_CHANNELS, sourceLimitProblem } from './source-limits';

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
