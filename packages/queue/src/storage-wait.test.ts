import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStorageUnavailable, StorageUnavailableError } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { waitUntil } from '@ingest/testkit';
import type { TypedJob } from './queues';
import { StorageWait, type WaitLedger } from './storage-wait';

const HOUR = 60 * 60 * 1000;
const outage = new StorageUnavailableError('storage unreachable: test');

function jobWaitingSince(since?: number) {
  const data = { uploadId: 1, ...(since ? { storageWait: { since, times: 3 } } : {}) };
  return { data } as TypedJob<'transcode'>;
}

type Transcode = TypedJob<'transcode'>;
const ledger: WaitLedger<Transcode> = {
  read: (job) => job.data.storageWait,
  write: (job, storageWait) => job.updateData({ ...job.data, storageWait }),
};

function storageWait(ready: () => boolean, probeEveryMs?: number) {
  return new StorageWait<Transcode>(
    {
      storage: { ready: async () => ({ ready: ready() }) },
      isOutage: isStorageUnavailable,
      ledger,
      logger: createLogger('transcoder', 'silent'),
    },
    { limitMs: HOUR, probeEveryMs },
  );
}

const wait = storageWait(() => true);

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
  const gate = storageWait(() => !down, 50);
  gate.attach({
    name: 'transcode',
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
    // Resumed by its next probe (every 50 ms), however late that runs.
    await waitUntil(() => paused.length > 1, { timeoutMs: 5_000 });
    assert.deepEqual(paused, [true, false]);
    assert.equal(await processor(job, 'token'), 'done');
    assert.equal(runs, 2);
  } finally {
    gate.close();
  }
});
