/**
 * `npm run storage:sweep` on an S3 folder of more than one listing page:
 * a ListObjectsV2 answer holds 1000 keys at most, and the listing goes
 * on from the continuation token. The first 1000 keys of `tracks/` (S3
 * lists in key order) are young files; after them come an old orphan,
 * an old file a track names and, later, a track the Redis never
 * numbered: each is seen only on the second page. Real S3-compatible
 * server (s3rver, in its own process), real Redis.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { catalogRecordOf, keys, storeRecordOf } from '@ingest/state';
import { checkCatalogMark, parseS3Url, S3Storage } from '@ingest/storage';
import { redisForTests, s3TestServer, type S3TestServer } from '@ingest/testkit';
import { DAY_MS, runSweep } from './sweep-kit';

const own = redisForTests();
let server: S3TestServer;
let storage: S3Storage;

before(async () => {
  server = await s3TestServer();
  storage = new S3Storage({
    location: parseS3Url(server.storageUrl),
    credentials: server.credentials,
  });
});

after(async () => {
  await storage?.close();
  await server?.close();
});

/** One full page of keys, first in key order. */
const PAGE = 1000;

/** Stores `keys`, a few at a time. */
async function putAll(all: string[]): Promise<void> {
  const left = [...all];
  const worker = async () => {
    for (let key = left.pop(); key; key = left.pop()) {
      await storage.put(key, Readable.from(['x']));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

test('the sweep goes through every page of a listing', async () => {
  await checkCatalogMark(storage, catalogRecordOf(own.redis), {
    where: server.storageUrl,
    stores: storeRecordOf(own.redis),
    logger: { warn: () => {} },
  });
  await own.redis.hset(keys.seq(), 'track', 1);
  const young = Array.from({ length: PAGE }, (_, i) =>
    `tracks/1/mp3.${String(i).padStart(4, '0')}.mp3`,
  );
  await putAll(young);
  const named = 'tracks/1/wav.zz-named.wav';
  const orphan = 'tracks/1/wav.zz-orphan.wav';
  await own.redis.hset(keys.track(1), 'renditions', JSON.stringify({ wav: { storageKey: named } }));
  await putAll([named, orphan]);
  const old = new Date(Date.now() - 2 * DAY_MS);
  for (const key of [named, orphan]) await server.backdate(key, old);

  const listed = new Set<string>();
  for await (const object of storage.list('tracks/')) listed.add(object.key);
  assert.equal(listed.size, PAGE + 2);

  const env = { ...server.env, REDIS_URL: own.server.url };
  const dry = await runSweep(env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(dry.answer.orphans.map((o: { key: string }) => o.key), [orphan]);
  assert.equal(dry.answer.kept_young, PAGE);

  const swept = await runSweep(env, '--delete');
  assert.equal(swept.code, 0, swept.stderr);
  assert.equal(swept.answer.removed, 1);
  assert.equal(await storage.size(orphan), undefined);
  assert.equal(await storage.size(named), 1);

  // A track of an id the Redis never gave out, past the first page.
  await putAll(['tracks/2/mp3.later.mp3']);
  const refused = await runSweep(env, '--delete');
  assert.equal(refused.code, 1, refused.stderr);
  // Not one line: the AWS SDK warns on stderr of Node 20 being old.
  assert.match(refused.stderr, /^the store holds track 2, but the Redis .* up to 1:/m);
});
