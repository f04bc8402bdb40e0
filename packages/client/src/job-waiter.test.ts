import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPauseMs } from './job-waiter';

/** The pauses of a wait of `polls` polls, from `first` ms. */
function pauses(first: number, max: number, polls: number): number[] {
  const all = [first];
  while (all.length < polls) all.push(nextPauseMs(all.at(-1)!, max));
  return all;
}

test('the pause between polls doubles up to maxIntervalMs', () => {
  assert.deepEqual(pauses(100, 400, 6), [100, 200, 400, 400, 400, 400]);
  assert.deepEqual(pauses(1_000, 15_000, 6), [1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
});

test('without a larger maxIntervalMs the pause stays as it is', () => {
  // waitForJob's default: maxIntervalMs is intervalMs.
  assert.deepEqual(pauses(250, 250, 4), [250, 250, 250, 250]);
  assert.deepEqual(pauses(500, 100, 3), [500, 500, 500]);
});
