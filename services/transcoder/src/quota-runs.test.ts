/**
 * INGEST_SITE_QUOTA with two uploads of one site transcoded at once,
 * each of whose renditions fits what the site has left and both of
 * whose do not: each run holds its share in Redis before ffmpeg writes,
 * so one publishes and the other errors `quota_exceeded`, and the site
 * never holds more than its quota. Real Redis, real ffmpeg, a folder
 * store; the second run's start is laid before the first run's first
 * store, so the two meet the same way every time.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Upload } from '@ingest/core';
import { SiteReservations, SiteUsage, type StateStore } from '@ingest/state';
import { makeTone } from '@ingest/testkit';
import type { RenditionMaker } from './rendition-maker';
import {
  queuedUploadOf,
  startRunKit,
  storeWithSteps,
  transcodeJobOf,
  type RunKit,
} from './test-support';
import { transcodeProcessor, type ProcessorDeps } from './transcode-processor';

/** 100 s of 8 kHz mono as a 16-bit WAV: 1.6 MB; two take 3.2 MB. */
const QUOTA = 2_500_000;

let kit: RunKit;
let store: StateStore;
let usage: SiteUsage;
let siteId: number;

before(async () => {
  kit = await startRunKit('quota-runs');
  store = kit.base.store;
  usage = new SiteUsage(kit.redis);
  siteId = (await store.createSite({ name: 's', token: 't', webhookSecret: 'w' })).id;
});

after(() => kit?.close());

/** A queued upload of `seconds` of FLAC silence, counted as the site's. */
async function queuedUpload(n: number, seconds: number): Promise<Upload> {
  const file = path.join(kit.dir, `silence-${n}.flac`);
  await makeTone(file, {
    sampleRate: 8000,
    channels: 1,
    seconds,
    codec: 'flac',
    args: ['-af', 'volume=0'],
  });
  const key = `sources/${siteId}/${n}`;
  const { size } = await stat(file);
  await kit.storage.putFile(key, file);
  await usage.stored(siteId, key, size);
  return queuedUploadOf(store, siteId, {
    formats: ['wav'],
    sources: {
      flac: { format: 'flac', storageKey: key, filename: 'a.flac', bytes: size, sha256: 'x' },
    },
    meta: {},
  });
}

function run(upload: Upload, deps: Partial<ProcessorDeps>) {
  return transcodeProcessor({
    ...kit.base,
    storage: kit.storage,
    usage,
    quotaBytes: QUOTA,
    reservations: new SiteReservations(kit.redis),
    ...deps,
  })(transcodeJobOf(upload));
}

test('two runs at once of one site take no more than its quota', async () => {
  const first = await queuedUpload(1, 100);
  const second = await queuedUpload(2, 101);

  // The second run has asked its maker for renditions (and, without
  // holds, taken its bytes left) before the first stores anything.
  let secondStarted!: () => void;
  const started = new Promise<void>((resolve) => (secondStarted = resolve));
  const watched: RenditionMaker = {
    make: (request) => {
      secondStarted();
      return kit.base.maker.make(request);
    },
    retag: (request) => kit.base.maker.retag(request),
  };
  const outcomes = await Promise.all([
    run(first, { storage: storeWithSteps(kit.storage, { before: [() => started] }) }),
    run(second, { maker: watched }),
  ]);

  const seen = outcomes
    .map((o) => ('code' in o ? `${o.outcome} ${o.code}` : o.outcome))
    .sort();
  assert.deepEqual(seen, ['errored quota_exceeded', 'published']);
  const used = await usage.total(siteId);
  assert.ok(used <= QUOTA, `the site holds ${used} bytes, past its quota`);
  assert.equal(await new SiteReservations(kit.redis).held(siteId), 0);
});
