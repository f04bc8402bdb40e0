/**
 * A late run of an upload that errored while it still made renditions
 * (its lock lapsed and its runs were counted dead; the upload errored,
 * its noted files and sources removed), which then dies having stored a
 * file. Nothing takes an errored upload's noted keys again: a file the
 * late run noted there would be named for good, and no sweep would take
 * it. The run must store nothing once the upload is finished, and what
 * it left must be the sweep's to take. Real Redis, real ffmpeg, a
 * folder store.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys, type StateStore } from '@ingest/state';
import { makeTone } from '@ingest/testkit';
import type { RenditionMaker } from '@ingest/transcoder/src/rendition-maker';
import {
  queuedUploadOf,
  storeWithSteps,
  transcodeJobOf,
  type RunKit,
} from '@ingest/transcoder/src/test-support';
import {
  errorUpload,
  transcodeProcessor,
  type ProcessorDeps,
} from '@ingest/transcoder/src/transcode-processor';
import { sweepOrphans } from '../../scripts/orphan-sweep';
import { backdateTree, DAY_MS, startSweepRunKit } from './sweep-kit';

let kit: RunKit;
let store: StateStore;
let siteId: number;

before(async () => {
  ({ kit, siteId } = await startSweepRunKit('sweep-late-run'));
  store = kit.base.store;
});

after(() => kit?.close());

test('a late run of an errored upload leaves no file the sweep cannot take', async () => {
  const file = path.join(kit.dir, 'late.wav');
  await makeTone(file, { seconds: 1, frequency: 650 });
  const storageKey = `sources/${siteId}/late`;
  await kit.storage.putFile(storageKey, file);
  const upload = await queuedUploadOf(store, siteId, {
    formats: ['mp3', 'wav'],
    sources: {
      wav: { format: 'wav', storageKey, filename: 'late.wav', bytes: 1, sha256: 'x' },
    },
    meta: { Title: 'late' },
  });

  let deps: ProcessorDeps;
  // While ffmpeg runs, the upload is errored as the stalled-out handler
  // errors it once its runs are counted dead.
  const maker: RenditionMaker = {
    ...kit.base.maker,
    make: async (request) => {
      const made = await kit.base.maker.make(request);
      await errorUpload(deps, upload, { code: 'internal', reason: 'runs died' });
      return made;
    },
  };
  // The run dies once it stored its first file: it never goes on.
  let died!: () => void;
  const dead = new Promise<void>((resolve) => (died = resolve));
  deps = {
    ...kit.base,
    maker,
    storage: storeWithSteps(kit.storage, {
      after: [() => (died(), new Promise(() => {}))],
    }),
  };
  const outcome = await Promise.race([
    transcodeProcessor(deps)(transcodeJobOf(upload)),
    dead.then(() => 'died after storing a file'),
  ]);
  assert.deepEqual(outcome, { outcome: 'skipped', reason: 'finished' });
  assert.equal((await store.uploadById(upload.id))?.status, 'error');
  assert.equal(await kit.redis.exists(keys.uploadFiles(upload.id)), 0);

  const storageDir = path.join(kit.dir, 'storage');
  await backdateTree(storageDir, new Date(Date.now() - 2 * DAY_MS));
  await sweepOrphans({ storage: kit.storage, redis: kit.redis, olderThanMs: DAY_MS, remove: true });
  const tracksDir = path.join(storageDir, 'tracks');
  const left = await readdir(tracksDir, { recursive: true }).catch(() => []);
  assert.deepEqual(left, [], 'no rendition of the errored upload is left');
});
