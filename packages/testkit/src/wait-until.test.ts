import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from './wait-until';

test('answers the first truthy value of the check', async () => {
  let asks = 0;
  const value = await waitUntil(() => (++asks === 3 ? 'ready' : false), {
    intervalMs: 1,
  });
  assert.equal(value, 'ready');
  assert.equal(asks, 3);
});

test('runs out of time with the message, asked at the end', async () => {
  let asks = 0;
  await assert.rejects(
    waitUntil(async () => (asks++, undefined), {
      timeoutMs: 30,
      intervalMs: 5,
      message: () => `gave up after ${asks} asks`,
    }),
    (err: Error) => /^gave up after \d+ asks$/.test(err.message) && asks > 1,
  );
});

test('an error of the check ends the wait at once', async () => {
  let asks = 0;
  await assert.rejects(
    waitUntil(() => {
      asks += 1;
      throw new Error('exited');
    }),
    /exited/,
  );
  assert.equal(asks, 1);
});
