/**
 * An upload to the main job whose job is published while it is added
 * (README, "Secondary sources"): the client named no job, so the new
 * main job takes it. The name check it makes there must be the new
 * job's, whatever the old job's uploads of that name had decided.
 * The steps of the race are laid in between the upload's own calls to
 * the store, so it runs the same every time.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import type { Site } from '@ingest/core';
import { SourceIndex, StateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { makeTone, redisForTests } from '@ingest/testkit';
import { mediaInspector } from './media-inspector';
import { SecondarySources } from './secondary-sources';
import { UploadService } from './upload-service';

const own = redisForTests();
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'main-job-rollover-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Step = () => Promise<unknown>;

/**
 * The store as the upload service sees it: before its n-th addUpload,
 * `steps[n]` runs (what another call did at that moment).
 */
function storeWithSteps(store: StateStore, steps: Record<number, Step>) {
  let calls = 0;
  const seen = Object.create(store) as StateStore;
  seen.addUpload = (async (...args: Parameters<StateStore['addUpload']>) => {
    await steps[++calls]?.();
    return store.addUpload(...args);
  }) as StateStore['addUpload'];
  return seen;
}

test('a main job rolled over mid-upload checks the name in the new job', async () => {
  const logger = createLogger('test', 'silent');
  const store = new StateStore(own.redis);
  const storage = new FileStorage(path.join(dir, 'storage'));
  const site: Site = await store.createSite({
    name: 'rollover',
    token: 'rollover-token',
    webhookSecret: 'whsec_x',
  });
  const first = await store.mainJob(site.id);
  const sourceOf = (key: string) => ({
    format: 'mp3',
    storageKey: key,
    filename: 'x',
    bytes: 1,
    sha256: key,
  });
  const waiting = (fileName: string, key: string) => ({
    formats: ['mp3' as const],
    sources: { mp3: sourceOf(key) },
    meta: {},
    fileName,
    stem: 'song',
  });
  // song.wav waits in the old main job: another song.wav is a new
  // upload there (attach takes no source of the same extension).
  const old = await store.addUpload(site.id, first.id, waiting('song.wav', 'a'));
  assert.ok(old !== 'closed');

  let second: number | undefined;
  let mp3: number | undefined;
  const steps: Record<number, Step> = {
    // 1, 2: song.wav holds the name; seen twice, it is no secondary.
    // 3: the old main job is published (its autopublish timer).
    3: () => store.publish(first.id),
    // 4: Song.MP3 reaches the new main job a moment before this add.
    4: async () => {
      second = (await store.mainJob(site.id)).id;
      const added = await store.addUpload(
        site.id,
        second,
        waiting('Song.MP3', 'b'),
      );
      assert.ok(added !== 'closed' && 'id' in added);
      mp3 = added.id;
    },
  };
  const seen = storeWithSteps(store, steps);
  const uploads = new UploadService({
    store: seen,
    storage,
    inspector: mediaInspector(loadConfig({}), logger),
    fetchSource: () => Promise.reject(new Error('no fetch here')),
    maxSourceBytes: 1 << 24,
    secondary: new SecondarySources({
      store: seen,
      index: new SourceIndex(own.redis),
      storage,
      logger,
    }),
  });

  const file = await makeTone(path.join(dir, 'song.wav'), { seconds: 1 });
  const received = await uploads.receive(site, createReadStream(file), 'song.wav');
  const request = { job: first, autopublish: false, toMainJob: true };
  const answer = await uploads.accept(site, request, received);

  // As when the new main job's Song.MP3 had been there first: this
  // song.wav is its wav source, not a second upload of that name.
  assert.ok(second !== undefined && mp3 !== undefined);
  assert.equal(answer.upload_id, mp3);
  assert.deepEqual(answer.sources.sort(), ['mp3', 'wav']);
  assert.deepEqual(await store.uploadIds(second), [mp3]);
});
