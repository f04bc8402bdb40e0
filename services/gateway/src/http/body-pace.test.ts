import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import type { ApiError } from '@ingest/core';
import { watchPace, type BodyPace } from './body-pace';

/** Feeds `bytes` every `everyMs` for `forMs`; gives what `onLate` was told. */
async function feed(pace: BodyPace, bytes: number, everyMs: number, forMs: number) {
  const told: ApiError[] = [];
  const watch = watchPace('the request body', pace, (err) => told.push(err));
  const timer = setInterval(() => watch.add(bytes), everyMs);
  await delay(forMs);
  clearInterval(timer);
  watch.stop();
  return told;
}

test('a steady body within its deadline is never cut', async () => {
  // Each feed alone makes a window's bytes: a stalled event loop runs
  // the feed's timer, due first, between two of the window's, but may
  // run it only once (it failed so at 512 of 1024).
  const pace = { timeoutMs: 1_000, windowMs: 100, minBytes: 512 };
  assert.deepEqual(await feed(pace, 512, 20, 500), []);
});

test('a body under the rate is cut once, at the end of a window', async () => {
  const pace = { timeoutMs: 10_000, windowMs: 100, minBytes: 1024 };
  const told = await feed(pace, 1, 10, 350);
  assert.equal(told.length, 1);
  assert.equal(told[0].code, 'request_timeout');
  assert.equal(told[0].status, 408);
  assert.equal(told[0].message, 'the request body came too slowly: under 1 KiB in 0 s');
});

test('a body at the rate but past the deadline is cut, once', async () => {
  const pace = { timeoutMs: 2_000, windowMs: 100, minBytes: 1024 };
  const told = await feed(pace, 1024, 20, 2_300);
  assert.deepEqual(
    told.map((err) => err.message),
    ['the request body did not arrive within 2 s'],
  );
});

test('a paused watch keeps the time spent and resumes with the rest', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const told: ApiError[] = [];
  const pace = { timeoutMs: 1_000, windowMs: 100_000, minBytes: 0 };
  const watch = watchPace('the request body', pace, (err) => told.push(err));
  t.mock.timers.tick(600);
  watch.pause();
  // A file part, held to its own limits, takes long.
  t.mock.timers.tick(50_000);
  watch.resume();
  t.mock.timers.tick(399);
  assert.equal(told.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(
    told.map((err: ApiError) => err.message),
    ['the request body did not arrive within 1 s'],
  );
  watch.resume();
  t.mock.timers.tick(5_000);
  assert.equal(told.length, 1);
});
