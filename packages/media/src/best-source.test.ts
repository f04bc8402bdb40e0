import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bestSource } from './best-source';
import type { PolicyInput } from './encoding-policy';

const cd: PolicyInput = {
  sampleRate: 44_100,
  channels: 2,
  sampleKind: 'int',
  bitDepth: 16,
};
const mp3: PolicyInput = { ...cd, sampleKind: 'lossy', bitDepth: null };
const hiRes: PolicyInput = { ...cd, sampleRate: 96_000, bitDepth: 24 };

test('lossless beats lossy, whichever comes first', () => {
  assert.equal(bestSource([mp3, cd]), 1);
  assert.equal(bestSource([cd, mp3]), 0);
  assert.equal(bestSource([{ ...mp3, sampleRate: 96_000 }, cd]), 1);
});

test('among lossless: rate, then bit depth, then channels', () => {
  assert.equal(bestSource([cd, hiRes]), 1);
  assert.equal(bestSource([{ ...cd, bitDepth: 24 }, { ...cd, sampleRate: 48_000 }]), 1);
  assert.equal(bestSource([cd, { ...cd, bitDepth: 24 }]), 1);
  assert.equal(bestSource([cd, { ...cd, bitDepth: 24, channels: 1 }]), 1);
  assert.equal(bestSource([cd, { ...cd, channels: 6 }]), 1);
});

test('bit depth counts as the policy keeps it; ties keep the earlier', () => {
  const float = { ...cd, sampleKind: 'float', bitDepth: 32 } as const;
  const int24 = { ...cd, bitDepth: 24 };
  assert.equal(bestSource([int24, float]), 0, 'float is 24, a tie');
  assert.equal(bestSource([float, int24]), 0);
  assert.equal(bestSource([cd, float]), 1, 'float beats 16-bit');
  assert.equal(bestSource([int24, { ...cd, bitDepth: 32 }]), 0, '32 is 24');
  assert.equal(bestSource([cd, { ...cd }]), 0);
  assert.equal(bestSource([mp3, { ...mp3 }]), 0);
});

test('a source without audio loses to any other', () => {
  assert.equal(bestSource([null, mp3]), 1);
  assert.equal(bestSource([null]), 0);
});
