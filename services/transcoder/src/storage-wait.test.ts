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
