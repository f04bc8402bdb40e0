/**
 * A Redis restored from a copy older than its store (a disaster
 * recovery): the store holds the files of the tracks and uploads made
 * after the copy, which no record names now, and they are all that is
 * left of them. The sweep, run daily as the docs suggest, must not take
 * them: it refuses a store holding tracks its Redis never numbered.
 * Real Redis (its keys copied with DUMP and put back with RESTORE),
 * real ffmpeg, a folder store.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TypedJob } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import { makeTone } from '@ingest/testkit';
import type { RunKit } from '@ingest/transcoder/src/test-support';
import { transcodeProcessor } from '@ingest/transcoder/src/transcode-processor';
import { sweepOrphans } from '../../scripts/orphan-sweep';
import { backdateTree, DAY_MS, startSweepRunKit } from './sweep-kit';

let kit: RunKit;
let store: StateStore;
let siteId: number;

before(async () => {
  ({ kit, siteId } = await startSweepRunKit('sweep-restored'));
  store = kit.base.store;
});

after(() => kit?.close());

/** A published track of a tone; its id. */
async function publishedTrack(name: string, frequency: number): Promise<number> {
  const file = path.join(kit.dir, `${name}.wav`);
  await makeTone(file, { seconds: 1, frequency });
  const storageKey = `sources/${siteId}/${name}`;
  await kit.storage.putFile(storageKey, file);
  const job = await store.createJob(siteId, { name });
  const upload = await store.addUpload(siteId, job.id, {
    formats: ['mp3'],
    sources: { wav: { format: 'wav', storageKey, filename: name, bytes: 1, sha256: 'x' } },
    meta: { Title: name },
  });
  assert.ok(upload !== 'closed');
  await store.publish(job.id);
  const done = await transcodeProcessor({ ...kit.base, storage: kit.storage })({
    id: name,
    data: { uploadId: upload.id },
    attemptsMade: 0,
    opts: { attempts: 3 },
  } as TypedJob<'transcode'>);
  assert.equal(done.outcome, 'published');
  return (done as { trackId: number }).trackId;
}

/** Every key of the Redis, as DUMP gives it. */
async function copyOfRedis(): Promise<[string, Buffer][]> {
  const copy: [string, Buffer][] = [];
  for await (const found of kit.redis.scanStream({ count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of found) {
      const dumped = await kit.redis.dumpBuffer(key);
      if (dumped) copy.push([key, dumped]);
    }
  }
  return copy;
}

test('a Redis restored from an older copy: the sweep refuses, removing nothing', async () => {
  await publishedTrack('before', 500);
  const copy = await copyOfRedis();
  const lost = await publishedTrack('after', 700);

  // The Redis is lost and restored from the copy.
  await kit.redis.flushall();
  for (const [key, dumped] of copy) await kit.redis.restore(key, 0, dumped);

  await backdateTree(path.join(kit.dir, 'storage'), new Date(Date.now() - 2 * DAY_MS));
  await assert.rejects(
    sweepOrphans({ storage: kit.storage, redis: kit.redis, olderThanMs: DAY_MS, remove: true }),
    new RegExp(`holds track ${lost}, but the Redis .* up to ${lost - 1}`),
  );
  const left = [];
  for await (const object of kit.storage.list(`tracks/${lost}/`)) left.push(object.key);
  assert.equal(left.length, 1, 'the lost track\'s rendition is still there');
  assert.equal(await kit.storage.size(`sources/${siteId}/after`) !== undefined, true);
});
