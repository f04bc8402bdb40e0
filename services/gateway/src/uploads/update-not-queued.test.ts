/**
 * An immediate track update whose transcode job cannot be queued (the
 * queue refuses after the update was stored) does not stay `queued`
 * with nothing to run it: it is errored, its source removed, and the
 * answer names it. One a transcoder took all the same is left to it.
 * One refused by a full Redis is told as the gateway tells a full Redis
 * (once, `redis is full (maxmemory)`), not on a line of its own. One
 * left queued with no job (its queueing lost after a 503) is queued by
 * the track's next update.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { after, before, test } from 'node:test';
import express from 'express';
import { loadConfig } from '@ingest/config';
import { PartlyDoneError, type Site, type Track } from '@ingest/core';
import {
  jobIds,
  openQueue,
  REDIS_FULL,
  RedisFullWatch,
  type TypedQueue,
} from '@ingest/queue';
import { keys, StateStore, UpdateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { createLogger, type Logger } from '@ingest/telemetry';
import {
  listenOnLoopback,
  makeTone,
  recordingLogger,
  redisForTests,
} from '@ingest/testkit';
import { endpoint } from '../http/endpoint';
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

/** The service with a transcode queue whose `add` is `add` (none: its own). */
function serviceWith(
  add: ((data: { updateId?: number }) => Promise<never>) | undefined,
  logger: Logger = createLogger('test', 'silent'),
) {
  const store = new StateStore(own.redis);
  const updates = new UpdateStore(own.redis);
  const storage = new FileStorage(path.join(dir, 'storage'));
  const queue = openQueue('transcode', own.redis);
  const refusing = Object.create(queue) as TypedQueue<'transcode'>;
  if (add) refusing.add = async (_name, data) => add(data);
  const service = new TrackUpdateService({
    store,
    updates,
    storage,
    inspector: mediaInspector(loadConfig({}), logger),
    transcode: refusing,
    logger,
  });
  return { service, store, updates, storage, queue };
}

/** A site and a published track of it, to update. */
async function siteAndTrack(store: StateStore, name: string, id = 7) {
  const site = await store.createSite({ name, token: `${name}-token`, webhookSecret: 'w' });
  const track: Track = {
    id,
    siteId: site.id,
    uploadId: 3,
    jobId: 1,
    meta: { Title: 'Kept' },
    renditions: {},
    createdAt: new Date().toISOString(),
  };
  await store.saveTrack(track);
  return { site, track };
}

/** The stored `name` sent as an immediate update of `track`. */
async function update(
  parts: ReturnType<typeof serviceWith>,
  site: Site,
  track: Track,
  name: string,
) {
  const file = await makeTone(path.join(dir, name), { seconds: 1 });
  const storageKey = `sources/${site.id}/${name}`;
  const { bytes, sha256 } = await parts.storage.put(storageKey, createReadStream(file));
  const request = {
    track,
    immediate: true,
    toMainJob: true,
    formats: ['mp3' as const],
    autopublish: false,
  };
  const received = { storageKey, filename: name, bytes, sha256 };
  return { storageKey, accepting: parts.service.accept(site, request, received) };
}

test('an immediate update the queue refuses errors; one taken is left', async () => {
  // The queue as the service sees it: it refuses every job, after
  // `first` (a transcoder taking the update all the same) ran.
  let first = async (_updateId: number) => {};
  const parts = serviceWith(async (data) => {
    await first(data.updateId ?? 0);
    throw new Error('redis refused the write');
  });
  const { store, updates, queue } = parts;
  const { site, track } = await siteAndTrack(store, 's');

  try {
    const errored = await send(site, track, 'one.wav');
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
    const taken = await send(site, track, 'two.wav');
    assert.match(taken.refusal.message, /a transcoder took it all the same/);
    assert.equal((await updates.byId(taken.id))?.status, 'transcoding');
    // It stands: a retry with its Idempotency-Key is told this again.
    assert.ok(taken.refusal instanceof PartlyDoneError);
    await access(path.join(dir, 'storage', taken.storageKey));
  } finally {
    await queue.close();
  }

  async function send(site: Site, track: Track, name: string) {
    const { storageKey, accepting } = await update(parts, site, track, name);
    const refusal = await accepting.then(
      () => assert.fail('accepted with its transcode refused'),
      (err: unknown) => err as Refusal,
    );
    const [latest] = (await updates.ofTrack(track.id)).slice(-1);
    return { refusal, id: latest.id, storageKey };
  }
});

test('a full Redis refusing the queueing is told as a full Redis, once', async () => {
  // Redis's own refusal of a write past maxmemory.
  await own.redis.config('SET', 'maxmemory', '1');
  const full = await own.redis.set('full', 'x').then(
    () => assert.fail('written past maxmemory'),
    (err: Error) => err,
  );
  await own.redis.config('SET', 'maxmemory', '0');
  const recorded = recordingLogger();
  const logger = { ...recorded.logger, child: () => logger } as unknown as Logger;
  const parts = serviceWith(async () => Promise.reject(full), logger);
  const { site, track } = await siteAndTrack(parts.store, 'full');
  const redisFull = new RedisFullWatch(own.redis, logger);
  const app = express();
  const deps = { store: parts.store, logger, maxBodyBytes: 1 << 16, redisFull };
  let name = 0;
  app.post(
    '/update',
    endpoint(deps, async () => (await update(parts, site, track, `full-${++name}.wav`)).accepting),
  );
  const server = await listenOnLoopback(http.createServer(app));
  try {
    for (let call = 0; call < 2; call += 1) {
      const res = await fetch(`${server.url}/update`, {
        method: 'POST',
        headers: { authorization: 'Bearer full-token' },
      });
      const body = (await res.json()) as { error: string };
      assert.equal(res.status, 500);
      assert.match(body.error, /was stored, but its transcode could not be queued/);
    }
    const told = recorded.lines.filter((line) => ['warn', 'error'].includes(line.level));
    assert.deepEqual(
      told.map((line) => line.message),
      [REDIS_FULL],
      JSON.stringify(told),
    );
  } finally {
    redisFull.close();
    await server.close();
    await parts.queue.close();
  }
});

test('an older immediate update left queued with no job is queued by the next one', async () => {
  const recorded = recordingLogger();
  const logger = { ...recorded.logger, child: () => logger } as unknown as Logger;
  const parts = serviceWith(undefined, logger);
  const { site, track } = await siteAndTrack(parts.store, 'stuck', 8);
  try {
    // Stored and answered 503, its queueing lost with the connection.
    const stuck = await parts.updates.add({
      siteId: site.id,
      trackId: track.id,
      uploadId: track.uploadId,
      jobId: 0,
      immediate: true,
      formats: ['mp3'],
      sources: {},
    });
    assert.ok(typeof stuck === 'object');
    const stuckJob = jobIds.transcode(track.uploadId, stuck.id);
    // Its own call may still queue it for now: it is left to it.
    await (await update(parts, site, track, 'first.wav')).accepting;
    assert.equal(await parts.queue.getJob(stuckJob), undefined);
    assert.deepEqual(recorded.at('warn'), []);

    // Stored two minutes ago, it is stuck.
    const storedAt = new Date(Date.now() - 120_000).toISOString();
    await own.redis.hset(keys.update(stuck.id), 'createdAt', storedAt);
    const next = await update(parts, site, track, 'next.wav');
    const answer = await next.accepting;
    assert.ok(await parts.queue.getJob(stuckJob), 'the stuck update is not queued');
    assert.ok(await parts.queue.getJob(jobIds.transcode(track.uploadId, answer.update_id)));
    assert.deepEqual(
      recorded.at('warn').map((line) => [line.message, line.fields.updateId]),
      [['stuck update queued again', stuck.id]],
    );

    // Queued, it is not queued again by the one after.
    await (await update(parts, site, track, 'after.wav')).accepting;
    assert.equal(recorded.at('warn').length, 1);
  } finally {
    await parts.queue.close();
  }
});
