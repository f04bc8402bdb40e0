/**
 * One store, one Redis. Track files live under `tracks/<track id>/` and
 * track ids come from Redis, so services on a second Redis (a fresh one,
 * the machine's own on 6379 when REDIS_URL was forgotten) with the same
 * INGEST_DATA_DIR numbered from 1 again and renamed their renditions over
 * the first catalog's published tracks: its downloads then served
 * another song under the old sha256 ETag. Found by a day-2 operator
 * trial. The store is now marked with its Redis's catalog id; a gateway
 * or transcoder on another Redis refuses to start, and a store from
 * before marks is taken over by the Redis that starts on it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import {
  RedisServer,
  ServiceProcess,
  TestStack,
  freePort,
  makeTone,
  type TestSite,
} from '@ingest/testkit';

let stack: TestStack;
let site: TestSite;
let other: RedisServer;

before(async () => {
  stack = await TestStack.start();
  site = await stack.createSite();
  other = await RedisServer.start();
});

after(async () => {
  await stack?.close();
  await other?.close();
});

const markFile = () => path.join(stack.dataDir, 'storage', 'catalog-id');

/** Starts a service on `redisUrl` with the stack's data dir. */
async function startOn(
  name: 'gateway' | 'transcoder',
  redisUrl: string,
  dataDir = stack.dataDir,
) {
  const port = await freePort();
  const portVar = name === 'gateway' ? 'PORT' : 'TRANSCODER_PORT';
  return ServiceProcess.start(name, {
    port,
    env: {
      [portVar]: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      INGEST_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
  });
}

async function publishOneTrack(): Promise<{ trackId: number; sha256: string }> {
  const file = path.join(stack.dataDir, 'tone.wav');
  await makeTone(file, { seconds: 1 });
  const form = new FormData();
  form.set('file', new Blob([await readFile(file)]), 'tone.wav');
  form.set('formats', 'mp3');
  const url = `${stack.gatewayUrl}/api/import/upload?token=${site.token}`;
  const upload = await fetch(url, { method: 'POST', body: form });
  assert.equal(upload.status, 200, await upload.clone().text());
  const published = await stack.call('/api/import/publish', site.token);
  await stack.waitForJob(site.token, published.body.job_id);
  const list = await stack.call('/api/import/list', site.token, {
    job_id: published.body.job_id,
  });
  const [row] = list.body.tracks;
  return { trackId: row.track_id, sha256: row.renditions.mp3.sha256 };
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

test('services on another Redis refuse the store of a catalog', async () => {
  const { trackId, sha256 } = await publishOneTrack();
  const record = await stack.store.getTrack(site.id, trackId);
  assert.ok(record?.renditions.mp3);
  const mp3 = path.join(stack.dataDir, 'storage', record.renditions.mp3.storageKey);
  for (const name of ['gateway', 'transcoder'] as const) {
    const started = await startOn(name, other.url).then(
      async (service) => {
        await service.stop('SIGTERM');
        return undefined;
      },
      (err: Error) => err.message,
    );
    assert.ok(started, `${name} started on another Redis with this store`);
    assert.match(started, /holds the files of another catalog \(([-0-9a-f]+)\)/);
  }
  assert.equal(await sha256Of(mp3), sha256, 'the published file is untouched');
  const catalog = await stack.redis.get('{ingest}:catalog');
  assert.ok(catalog, 'the stack\'s Redis has a catalog id');
  const store = await stack.redis.get('{ingest}:store');
  assert.ok(store, 'the stack\'s Redis records its store');
  assert.equal(await readFile(markFile(), 'utf8'), `${catalog}\n${store}\n`);
});

test('the refusal offers the store\'s id only to a Redis that numbered tracks', async () => {
  // A fresh Redis (npm start's own after a REDIS_URL of yours, or the
  // other way round): told to take the store's id, it would number from
  // 1 again over that catalog's files.
  const refusal = async () => {
    const err = await startOn('gateway', other.url).then(
      async (service) => {
        await service.stop('SIGTERM');
        assert.fail('the gateway started on another Redis with this store');
      },
      (error: Error) => error.message,
    );
    assert.match(err, /holds the files of another catalog/);
    assert.match(err, /where STORAGE_URL is not set: an INGEST_DATA_DIR of its own/);
    return err;
  };
  const fresh = await refusal();
  assert.doesNotMatch(fresh, /redis-cli SET/);
  assert.match(fresh, /has numbered no track yet: it is no copy of that catalog/);
  // A copy restored from before the mark holds tracks: there it helps.
  const otherRedis = createRedis(other.url);
  try {
    await otherRedis.hset('{ingest}:seq', 'track', 3);
    const restored = await refusal();
    assert.match(restored, /restored from a copy.*redis-cli SET '\{ingest\}:catalog' [-0-9a-f]+/);
  } finally {
    await otherRedis.hdel('{ingest}:seq', 'track');
    otherRedis.disconnect();
  }
});

test('a store without a mark is taken over by the Redis that starts on it', async () => {
  // Both from a version before marks: the store unmarked, no store in Redis.
  await rm(markFile());
  await stack.redis.del('{ingest}:store');
  const gateway = await startOn('gateway', stack.redisServer.url);
  try {
    const catalog = await stack.redis.get('{ingest}:catalog');
    const store = await stack.redis.get('{ingest}:store');
    assert.equal(await readFile(markFile(), 'utf8'), `${catalog}\n${store}\n`);
  } finally {
    await gateway.stop('SIGTERM');
  }
});

// STORAGE_URL forgotten on one service of a scaled deployment: it used
// its own file://$INGEST_DATA_DIR/storage, empty, and took the catalog's
// mark, so its uploads ended source_missing on the other transcoders.
test('a service of the catalog on another, empty store refuses', async () => {
  const store = await stack.redis.get('{ingest}:store');
  assert.ok(store);
  const ownDir = await mkdtemp(path.join(stack.dataDir, 'own-'));
  const ownMark = path.join(ownDir, 'storage', 'catalog-id');
  for (const name of ['gateway', 'transcoder'] as const) {
    const refusal = await startOn(name, stack.redisServer.url, ownDir).then(
      async (service) => {
        await service.stop('SIGTERM');
        assert.fail(`${name} started on an empty store of this catalog`);
      },
      (err: Error) => err.message,
    );
    const line = `STORAGE_URL file://${ownDir}/storage is a store without a catalog mark`;
    assert.ok(refusal.includes(line), refusal);
    assert.match(refusal, /INGEST_DATA_DIR/);
    assert.ok(refusal.includes(`another store (${store})`), refusal);
    await assert.rejects(readFile(ownMark), { code: 'ENOENT' }, 'the empty store was marked');
  }
  // The way out, for a catalog moved to an empty store on purpose.
  await stack.redis.del('{ingest}:store');
  const moved = await startOn('gateway', stack.redisServer.url, ownDir);
  await moved.stop('SIGTERM');
  const now = await stack.redis.get('{ingest}:store');
  assert.ok(now && now !== store);
  assert.ok((await readFile(ownMark, 'utf8')).endsWith(`\n${now}\n`));
  // The store it left is no longer the catalog's.
  const left = await startOn('transcoder', stack.redisServer.url).then(
    async (service) => {
      await service.stop('SIGTERM');
      return 'started';
    },
    (err: Error) => err.message,
  );
  assert.ok(left.includes(`now keeps its files in another store (${now})`), left);
  await stack.redis.set('{ingest}:store', store);
});

test('a new Redis and a new store: services starting at once all start', async () => {
  const fresh = await RedisServer.start();
  const dir = await mkdtemp(path.join(stack.dataDir, 'fresh-'));
  const starts = await Promise.allSettled([
    startOn('gateway', fresh.url, dir),
    startOn('transcoder', fresh.url, dir),
    startOn('transcoder', fresh.url, dir),
  ]);
  try {
    for (const start of starts) {
      assert.equal(start.status, 'fulfilled', String((start as PromiseRejectedResult).reason));
    }
    const redis = createRedis(fresh.url);
    try {
      const [catalog, store] = await redis.mget('{ingest}:catalog', '{ingest}:store');
      const mark = await readFile(path.join(dir, 'storage', 'catalog-id'), 'utf8');
      assert.equal(mark, `${catalog}\n${store}\n`);
    } finally {
      redis.disconnect();
    }
  } finally {
    for (const start of starts) {
      if (start.status === 'fulfilled') await start.value.stop('SIGTERM');
    }
    await fresh.close();
  }
});
