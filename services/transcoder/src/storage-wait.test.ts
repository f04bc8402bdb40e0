import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TypedJob } from '@ingest/queue';
import { StorageUnavailableError } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { StorageWait } from './storage-wait';

const HOUR = 60 * 60 * 1000;
const outage = new StorageUnavailableError('storage unreachable: test');

function jobWaitingSince(since?: number) {
  const data = { uploadId: 1, ...(since ? { storageWait: { since, times: 3 } } : {}) };
  return { data } as TypedJob<'transcode'>;
}

const wait = new StorageWait(
  { ready: async () => ({ ready: true }) },
  createLogger('transcoder', 'silent'),
  undefined,
  { limitMs: HOUR },
);

test('a storage outage is waited out, other failures are not', () => {
  assert.equal(wait.holds(jobWaitingSince(), outage), true);
  const wrapped = new Error('copy failed', { cause: outage });
  assert.equal(wait.holds(jobWaitingSince(), wrapped), true);
  assert.equal(wait.holds(jobWaitingSince(), new Error('ffmpeg crashed')), false);
});

test('past the limit, an outage counts as an attempt again', () => {
  assert.equal(wait.holds(jobWaitingSince(Date.now() - HOUR / 2), outage), true);
  assert.equal(wait.holds(jobWaitingSince(Date.now() - HOUR - 1), outage), false);
});

test('a job taken while the store is away is put back unrun', async () => {
  let down = true;
  const paused: boolean[] = [];
  const gate = new StorageWait(
    { ready: async () => ({ ready: !down }) },
    createLogger('transcoder', 'silent'),
    undefined,
    { limitMs: HOUR, probeEveryMs: 50 },
  );
  gate.attach({
    pause: async () => void paused.push(true),
    resume: async () => void paused.push(false),
  });
  const moved: number[] = [];
  const job = {
    id: '1',
    data: { uploadId: 1 },
    updateData: async (data: unknown) => void Object.assign(job, { data }),
    moveToDelayed: async (at: number) => void moved.push(at),
  } as unknown as TypedJob<'transcode'>;
  let runs = 0;
  const processor = gate.wrap(async () => {
    runs++;
    if (down) throw outage;
    return 'done';
  });
  try {
    await assert.rejects(processor(job, 'token'), { name: 'DelayedError' });
    assert.deepEqual([runs, moved.length, paused], [1, 1, [true]]);
    // Taken again while paused: put back without running.
    await assert.rejects(processor(job, 'token'), { name: 'DelayedError' });
    assert.deepEqual([runs, moved.length], [1, 2]);

    down = false;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(paused, [true, false]);
    assert.equal(await processor(job, 'token'), 'done');
    assert.equal(runs, 2);
  } finally {
    gate.close();
  }
});
