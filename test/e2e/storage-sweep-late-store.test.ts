/**
 * A transcode that stores its renditions while the sweep runs, after
 * the sweep read Redis and before it lists the store: its files are
 * named by nothing the sweep read, so only their age keeps them. The
 * renditions were made long before they were stored (a long transcode:
 * the first format written, then the others and the verification), and
 * a folder store moves the made file into place: its date must be that
 * of the store, or the sweep takes the files of the track it publishes.
 * Real Redis, real ffmpeg, a folder store.
 */
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TypedJob } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import type { FileStorage, Storage } from '@ingest/storage';
import { makeTone } from '@ingest/testkit';
import type { RenditionMaker } from '@ingest/transcoder/src/rendition-maker';
import type { RunKit } from '@ingest/transcoder/src/test-support';
import { transcodeProcessor } from '@ingest/transcoder/src/transcode-processor';
import { sweepOrphans } from '../../scripts/orphan-sweep';
import { startSweepRunKit } from './sweep-kit';

const HOUR_MS = 60 * 60 * 1000;

let kit: RunKit;
let store: StateStore;
let siteId: number;

before(async () => {
  ({ kit, siteId } = await startSweepRunKit('sweep-late'));
  store = kit.base.store;
});

after(() => kit?.close());

/** The real maker, its files dated as if written `agoMs` before now. */
function makerOfOldFiles(maker: RenditionMaker, agoMs: number): RenditionMaker {
  return {
    ...maker,
    make: async (request) => {
      const made = await maker.make(request);
      const then = new Date(Date.now() - agoMs);
      for (const { path: file } of made) await utimes(file, then, then);
      return made;
    },
  };
}

/** `storage` whose first listing waits for `meanwhile` to finish. */
function listingAfter(storage: FileStorage, meanwhile: () => Promise<unknown>): Storage {
  let first: Promise<unknown> | undefined;
  const seen = Object.create(storage) as FileStorage;
  seen.list = async function* (prefix) {
    first ??= meanwhile();
    await first;
    yield* storage.list(prefix);
  };
  return seen;
}

test('renditions stored after the sweep read Redis are kept', async () => {
  const file = path.join(kit.dir, 'long.wav');
  await makeTone(file, { seconds: 1, frequency: 600 });
  const storageKey = `sources/${siteId}/long`;
  await kit.storage.putFile(storageKey, file);
  const job = await store.createJob(siteId, { name: 'long' });
  const upload = await store.addUpload(siteId, job.id, {
    formats: ['mp3', 'wav'],
    sources: {
      wav: { format: 'wav', storageKey, filename: 'long.wav', bytes: 1, sha256: 'x' },
    },
    meta: { Title: 'long' },
  });
  assert.ok(upload !== 'closed');
  await store.publish(job.id);

  const run = transcodeProcessor({
    ...kit.base,
    maker: makerOfOldFiles(kit.base.maker, 2 * HOUR_MS),
    storage: kit.storage,
  });
  let outcome: unknown;
  const transcode = async () => {
    outcome = await run({
      id: 'run',
      data: { uploadId: upload.id },
      attemptsMade: 0,
      opts: { attempts: 3 },
    } as TypedJob<'transcode'>);
  };
  const swept = await sweepOrphans({
    storage: listingAfter(kit.storage, transcode),
    redis: kit.redis,
    olderThanMs: HOUR_MS,
    remove: true,
  });
  assert.equal((outcome as { outcome: string }).outcome, 'published');

  const track = await store.getTrack(siteId, (outcome as { trackId: number }).trackId);
  assert.ok(track);
  for (const r of Object.values(track.renditions)) {
    assert.equal(await kit.storage.size(r.storageKey), r.bytes, `${r.format} is there`);
  }
  assert.deepEqual(swept.orphans, []);
  assert.equal(swept.removed, 0);
});
