import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job, Site } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import { openJobFor } from './upload-service';

const site = { id: 1 } as Site;
const job = (id: number, state: Job['state']) => ({ id, state }) as Job;

/** A store whose main job is read as `picks` gives them, in turn. */
function storeGiving(picks: Job[], named?: Job) {
  let calls = 0;
  const store = {
    mainJob: async () => picks[Math.min(calls++, picks.length - 1)],
    getJob: async () => named,
  } as unknown as StateStore;
  return { store, calls: () => calls };
}

test('a main job published between its pick and its read is picked again', async () => {
  const { store, calls } = storeGiving([job(8, 'publishing'), job(9, 'open')]);
  const picked = await openJobFor(store, site, undefined, 'retry');
  assert.equal(picked.id, 9);
  assert.equal(calls(), 2);
});

test('a job the client named that is published is refused', async () => {
  const { store, calls } = storeGiving([job(9, 'open')], job(8, 'publishing'));
  await assert.rejects(openJobFor(store, site, 8, 'upload to a new job'), {
    code: 'job_closed',
    message: 'job 8 is already published; upload to a new job',
  });
  assert.equal(calls(), 0);
});
