import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TrackUpdate } from '@ingest/core';
import { redisForTests } from '@ingest/testkit';
import { DeletionStore } from './deletion-store';
import { SourceIndex } from './source-index';
import { StateStore } from './state-store';
import { UpdateStore } from './update-store';

const own = redisForTests();
let store: StateStore;
let index: SourceIndex;
let updates: UpdateStore;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  index = new SourceIndex(own.redis);
  updates = new UpdateStore(own.redis);
});

const source = (format: string, key: string) => ({
  format,
  storageKey: key,
  filename: `song.${format}`,
  bytes: 10,
  sha256: 'x',
});

async function openJob(token: string) {
  const site = await store.createSite({
    name: token,
    token,
    webhookSecret: 'whsec_x',
  });
  return { site, job: await store.mainJob(site.id) };
}

async function add(siteId: number, jobId: number, stem?: string) {
  const upload = await store.addUpload(siteId, jobId, {
    formats: ['mp3'],
    sources: { mp3: source('mp3', `k-${Math.random()}`) },
    meta: {},
    stem,
  });
  assert.ok(upload !== 'closed');
  return upload;
}

test('the first upload of a stem holds it until it is gone', async () => {
  const { site, job } = await openJob('stems-1');
  const first = await add(site.id, job.id, 'song');
  const second = await add(site.id, job.id, 'song');
  assert.equal((await index.uploadOfStem(job.id, 'song'))?.id, first.id);
  assert.notEqual(second.id, first.id);
  assert.equal(await index.uploadOfStem(job.id, 'other'), undefined);

  // A dropped upload leaves its entry behind; the next upload takes it.
  const dropped = await new DeletionStore(own.redis).dropWaiting(first);
  assert.ok(dropped.dropped);
  assert.equal(await index.uploadOfStem(job.id, 'song'), undefined);
  const third = await add(site.id, job.id, 'song');
  assert.equal((await index.uploadOfStem(job.id, 'song'))?.id, third.id);
});

test('an add that checks the name stops at a waiting upload of its stem', async () => {
  const { site, job } = await openJob('stems-3');
  const input = {
    formats: ['mp3' as const],
    sources: { mp3: source('mp3', 'k-named') },
    meta: {},
    stem: 'song',
  };
  const checked = () =>
    store.addUpload(site.id, job.id, input, '', { checkName: true });
  assert.ok(typeof (await checked()) === 'object', 'no upload holds it yet');
  const holder = await index.uploadOfStem(job.id, 'song');
  assert.ok(holder);

  // Nothing is written: the job counts one upload, the holder keeps it.
  assert.deepEqual(await checked(), { sameNameAs: holder.id });
  assert.equal((await store.counts(job.id)).q, 1);
  const unchecked = await store.addUpload(site.id, job.id, input, '', {});
  assert.ok(typeof unchecked === 'object' && 'id' in unchecked);

  // A holder that no longer waits holds nothing back.
  await store.moveUpload(holder, 'queued');
  const after = await checked();
  assert.ok(typeof after === 'object' && 'id' in after);
});

test('patchWaiting changes a waiting upload, retrying a race', async () => {
  const { site, job } = await openJob('stems-2');
  const upload = await add(site.id, job.id, 'a');

  let calls = 0;
  const result = await index.patchWaiting(upload.id, (current) => {
    calls += 1;
    if (calls === 1) {
      // Another call changes the formats between read and write.
      void store.updateUpload(upload.id, { formats: ['mp3', 'aiff'] });
    }
    return {
      sources: { ...current.sources, wav: source('wav', 'w') },
      formats: [...current.formats, 'wav'],
    };
  });
  assert.equal(result.outcome, 'patched');
  assert.ok(calls >= 2, 'the stale read was retried');
  const stored = await store.uploadById(upload.id);
  assert.deepEqual(stored?.formats, ['mp3', 'aiff', 'wav']);
  assert.deepEqual(Object.keys(stored?.sources ?? {}), ['mp3', 'wav']);

  await store.publish(job.id);
  const late = await index.patchWaiting(upload.id, () => ({ formats: [] }));
  assert.deepEqual(late, { outcome: 'not_waiting', status: 'queued' });
});

test('updates count in their job, publish with it, and move once', async () => {
  const { site, job } = await openJob('updates-1');
  await store.saveTrack({
    id: 7,
    siteId: site.id,
    uploadId: 3,
    jobId: job.id,
    meta: {},
    renditions: {},
    createdAt: new Date().toISOString(),
  });
  const input = {
    siteId: site.id,
    trackId: 7,
    uploadId: 3,
    jobId: job.id,
    immediate: false,
    formats: ['wav' as const],
    sources: { wav: source('wav', 'u') },
  };
  const a = (await updates.add(input)) as TrackUpdate;
  const b = (await updates.add(input)) as TrackUpdate;
  assert.equal(b.id, a.id + 1);
  assert.deepEqual(await store.counts(job.id), { q: 2, i: 0, d: 0, e: 0 });

  const dropped = await updates.dropWaiting(b);
  assert.ok(dropped.dropped);
  assert.deepEqual(await store.counts(job.id), { q: 1, i: 0, d: 0, e: 0 });

  // A job holding only an update can be published.
  assert.deepEqual(await store.publish(job.id), {
    queued: [],
    updates: [a.id],
  });
  assert.equal(await updates.add(input), 'closed');
  await updates.move(a, 'transcoding');
  const done = await updates.move(a, 'published');
  assert.deepEqual(done, { moved: true, jobState: 'complete' });
  assert.equal((await updates.move(a, 'error')).moved, false);
  assert.deepEqual(await store.counts(job.id), { q: 0, i: 0, d: 1, e: 0 });

  const now = (await updates.add({ ...input, jobId: 0, immediate: true }));
  assert.ok(typeof now === 'object');
  assert.equal(now.status, 'queued');
  assert.deepEqual(await updates.move(now, 'published'), {
    moved: true,
    jobState: '',
  });
});
