/**
 * An immediate track update whose transcode job cannot be queued (the
 * queue refuses after the update was stored) does not stay `queued`
 * with nothing to run it: it is errored, its source removed, and the
 * answer names it. One a transcoder took all the same is left to it.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { PartlyDoneError, type Site, type Track } from '@ingest/core';
import { openQueue, type TypedQueue } from '@ingest/queue';
import { StateStore, UpdateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { makeTone, redisForTests } from '@ingest/testkit';
import { mediaInspector } from './media-inspector';
import { TrackUpdateService } from './track-update-service';

const own = redisForTests();
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'update-not-queued-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Refusal = { code?: string; message: string; details?: unknown };

test('an immediate update the queue refuses errors; one taken is left', async () => {
  const logger = createLogger('test', 'silent');
  const store = new StateStore(own.redis);
  const updates = new UpdateStore(own.redis);
  const storage = new FileStorage(path.join(dir, 'storage'));
  const queue = openQueue('transcode', own.redis);
  // The queue as the service sees it: it refuses every job, after
  // `first` (a transcoder taking the update all the same) ran.
  let first = async (_updateId: number) => {};
  const refusing = Object.create(queue) as TypedQueue<'transcode'>;
  refusing.add = async (_name, data) => {
    await first(data.updateId ?? 0);
    throw new Error('redis refused the write');
  };
  const service = new TrackUpdateService({
    store,
    updates,
    storage,
    inspector: mediaInspector(loadConfig({}), logger),
    transcode: refusing,
    logger,
  });
  const site = await store.createSite({ name: 's', token: 's-token', webhookSecret: 'w' });
  const track: Track = {
    id: 7,
    siteId: site.id,
    uploadId: 3,
    jobId: 1,
    meta: { Title: 'Kept' },
    renditions: {},
    createdAt: new Date().toISOString(),
  };
  await store.saveTrack(track);

  try {
    const errored = await send(service, site, track, 'one.wav');
    assert.equal(errored.refusal.code, 'internal');
    assert.equal(
      errored.refusal.message,
      `track update ${errored.id} was stored, but its transcode could not be ` +
        'queued; it was marked errored and the track is as it was: send it again',
    );
    // Nothing of it stands: an Idempotency-Key is freed for a retry, and
    // no update_id tells the SDK to hold back its own retry.
    assert.deepEqual(errored.refusal.details, {});
    assert.ok(!(errored.refusal instanceof PartlyDoneError));
    const record = await updates.byId(errored.id);
    assert.deepEqual(
      [record?.status, record?.errorCode, record?.error],
      ['error', 'internal', 'its transcode could not be queued; send the update again'],
    );
    await assert.rejects(access(path.join(dir, 'storage', errored.storageKey)));

    // The job was made after all and a transcoder took the update.
    first = (id) => updates.move({ id, jobId: 0 }, 'transcoding').then(() => {});
    const taken = await send(service, site, track, 'two.wav');
    assert.match(taken.refusal.message, /a transcoder took it all the same/);
    assert.equal((await updates.byId(taken.id))?.status, 'transcoding');
    // It stands: a retry with its Idempotency-Key is told this again.
    assert.ok(taken.refusal instanceof PartlyDoneError);
    await access(path.join(dir, 'storage', taken.storageKey));
  } finally {
    await queue.close();
  }

  async function send(service: TrackUpdateService, site: Site, track: Track, name: string) {
    const file = await makeTone(path.join(dir, name), { seconds: 1 });
    const storageKey = `sources/${site.id}/${name}`;
    const { bytes, sha256 } = await storage.put(storageKey, createReadStream(file));
    const request = {
      track,
      immediate: true,
      toMainJob: true,
      formats: ['mp3' as const],
      autopublish: false,
    };
    const received = { storageKey, filename: name, bytes, sha256 };
    const refusal = await service.accept(site, request, received).then(
      () => assert.fail('accepted with its transcode refused'),
      (err: unknown) => err as Refusal,
    );
    const [latest] = (await updates.ofTrack(track.id)).slice(-1);
    return { refusal, id: latest.id, storageKey };
  }
});
