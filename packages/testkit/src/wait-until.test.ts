import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil, withDeadline } from './wait-until';

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
    // Room for a second ask even when the machine holds this process
    // up for a while after the first (30 ms was not always).
    waitUntil(async () => (asks++, undefined), {
      timeoutMs: 300,
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

test('a check that never settles still ends at the deadline', async (t) => {
  // waitUntil's clock alone (timers and Date) runs on mock time.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let outcome: string | undefined;
  const wait = waitUntil(() => new Promise<boolean>(() => {}), {
    timeoutMs: 50,
    message: 'the check never answered',
  }).catch((err: Error) => (outcome = err.message));
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  t.mock.timers.tick(49);
  await settle();
  assert.equal(outcome, undefined, 'ended before the deadline');
  t.mock.timers.tick(1);
  await settle();
  assert.equal(outcome, 'the check never answered');
  await wait;
});

test('withDeadline gives the work, or runs onTimeout and fails', async () => {
  const opts = { timeoutMs: 50, message: () => 'no exit in 50 ms' };
  assert.equal(await withDeadline(Promise.resolve(7), opts), 7);

  let killed = false;
  await assert.rejects(
    withDeadline(new Promise(() => {}), {
      ...opts,
      onTimeout: () => (killed = true),
    }),
    /^Error: no exit in 50 ms$/,
  );
  assert.equal(killed, true);
});
