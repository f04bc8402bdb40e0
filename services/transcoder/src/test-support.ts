import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@ingest/config';
import type { Upload } from '@ingest/core';
import { createRedis, openQueue, type TypedJob } from '@ingest/queue';
import { StateStore, UpdateStore, type NewUpload } from '@ingest/state';
import { FileStorage, type Storage } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { mediaMaker } from './media-maker';
import type { ApplyDeps } from './update-apply';

/** What a test does around one of a run's storage writes. */
export type Step = (key: string) => Promise<unknown>;

/**
 * `storage` as one run sees it: `before[n]` runs before its n-th
 * putFile, `after[n]` after it (what happened meanwhile elsewhere), so a
 * test lays out two runs' steps the same every time.
 */
export function storeWithSteps(
  storage: FileStorage,
  steps: { before?: Step[]; after?: Step[] },
): Storage {
  let puts = 0;
  const seen = Object.create(storage) as FileStorage;
  seen.putFile = async (key, file) => {
    const n = puts++;
    await steps.before?.[n]?.(key);
    await storage.putFile(key, file);
    await steps.after?.[n]?.(key);
  };
  return seen;
}

/** Real parts for runs of the transcoder's processors, in one test file. */
export interface RunKit {
  redis: Redis;
  /** The URL of the kit's Redis, for connections of a test's own. */
  redisUrl: string;
  dir: string;
  /** A folder store under `dir`/storage. */
  storage: FileStorage;
  /** All a run needs but its storage: real ffmpeg, a Redis of its own. */
  base: Omit<ApplyDeps, 'storage'>;
  close(): Promise<void>;
}

export async function startRunKit(name: string): Promise<RunKit> {
  const server = await RedisServer.start();
  const redis = createRedis(server.url);
  const dir = await mkdtemp(path.join(tmpdir(), `${name}-`));
  const logger = createLogger('test', 'silent');
  const base = {
    store: new StateStore(redis),
    updates: new UpdateStore(redis),
    maker: await mediaMaker(loadConfig({}), logger),
    completion: openQueue('completion', redis),
    index: openQueue('index', redis),
    logger,
    workDir: path.join(dir, 'work'),
  };
  return {
    redis,
    redisUrl: server.url,
    dir,
    storage: new FileStorage(path.join(dir, 'storage')),
    base,
    close: async () => {
      await base.completion.close();
      await base.index.close();
      redis.disconnect();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An upload in a job of its own, the job published: queued to transcode. */
export async function queuedUploadOf(
  store: StateStore,
  siteId: number,
  input: NewUpload,
): Promise<Upload> {
  const job = await store.createJob(siteId, { name: 'queued' });
  const upload = await store.addUpload(siteId, job.id, input);
  assert.ok(upload !== 'closed');
  assert.equal(typeof (await store.publish(job.id)), 'object');
  return upload;
}

/** The transcode job of the upload's first attempt, as a worker gets it. */
export function transcodeJobOf(upload: Upload): TypedJob<'transcode'> {
  return {
    id: `t${upload.id}`,
    data: { uploadId: upload.id },
    attemptsMade: 0,
    opts: { attempts: 3 },
  } as TypedJob<'transcode'>;
}
