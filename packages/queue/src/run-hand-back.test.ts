import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DelayedError } from 'bullmq';
import { RunHandBack, handBackAfter } from './run-hand-back';

test('runs are given back 5 s before the deadline, never before half', () => {
  assert.equal(handBackAfter(30_000), 25_000);
  assert.equal(handBackAfter(6_000), 3_000);
  assert.equal(handBackAfter(2_000), 1_000);
});

test('the deadline aborts the signal; disarming keeps it quiet', async () => {
  const quiet = new RunHandBack();
  quiet.armDeadline(10)();
  const fired = new RunHandBack();
  fired.armDeadline(10);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(quiet.signal.aborted, false);
  assert.equal(fired.signal.aborted, true);
});

test('an error before the hand-back is passed on as it is', async () => {
  const handBack = new RunHandBack();
  const run = handBack.wrap(async () => {
    throw new Error('ffmpeg failed');
  });
  await assert.rejects(run({} as never, 'token'), /ffmpeg failed/);
});

test('a run that put its job back itself is not moved again', async () => {
  // The notifier's slot put-off and StorageWait move the job and throw
  // DelayedError; a shutdown that aborts meanwhile must leave it there.
  const handBack = new RunHandBack();
  const moves: number[] = [];
  const job = {
    moveToDelayed: async (at: number) => {
      moves.push(at);
    },
  };
  const run = handBack.wrap(async (j: typeof job) => {
    await j.moveToDelayed(Date.now() + 60_000);
    handBack.armDeadline(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw new DelayedError();
  });
  await assert.rejects(run(job as never, 'token'), DelayedError);
  assert.equal(handBack.signal.aborted, true);
  assert.equal(moves.length, 1, 'moved once, by the run');
});
