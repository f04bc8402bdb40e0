/**
 * `npm run storage:sweep` on S3 storage: a real S3-compatible server
 * (s3rver) on loopback and a real Redis. The objects are listed through
 * the storage package (ListObjectsV2, page by page, under the URL's key
 * prefix); the dry run lists the old objects no record names, `--delete`
 * removes just those. A listing past one page (1000 keys):
 * storage-sweep-s3-pages.test.ts.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  catalogRecordOf,
  keys,
  SiteUsage,
  StateStore,
  storeRecordOf,
} from '@ingest/state';
import {
  checkCatalogMark,
  parseS3Url,
  S3Storage,
  type StoredObject,
} from '@ingest/storage';
import { redisForTests, s3TestServer, type S3TestServer } from '@ingest/testkit';
import { DAY_MS, runSweep } from './sweep-kit';

let server: S3TestServer;
const own = redisForTests();

before(async () => {
  server = await s3TestServer();
});

after(async () => {
  await server?.close();
});

/** The store at the test server's bucket, under `prefix` if given. */
function storeAt(prefix = ''): S3Storage {
  const url = server.storageUrl.replace('?', prefix ? `/${prefix}?` : '?');
  return new S3Storage({ location: parseS3Url(url), credentials: server.credentials });
}

async function all(objects: AsyncIterable<StoredObject>): Promise<string[]> {
  const found: string[] = [];
  for await (const object of objects) found.push(object.key);
  return found.sort();
}

test('listing: keys under a folder, without the URL\'s prefix', async () => {
  const plain = storeAt();
  const prefixed = storeAt('catalog-a');
  try {
    await prefixed.put('tracks/1/mp3.a.mp3', Readable.from(['x']));
    await prefixed.put('tracks/10/mp3.b.mp3', Readable.from(['yy']));
    await prefixed.put('sources/1/s', Readable.from(['z']));
    assert.deepEqual(await all(prefixed.list('tracks/')), [
      'tracks/1/mp3.a.mp3',
      'tracks/10/mp3.b.mp3',
    ]);
    assert.deepEqual(await all(prefixed.list('tracks/1/')), ['tracks/1/mp3.a.mp3']);
    assert.deepEqual(await all(plain.list('catalog-a/sources/')), [
      'catalog-a/sources/1/s',
    ]);
    await assert.rejects(all(prefixed.list('../')), /not a folder of storage keys/);
  } finally {
    await plain.close();
    await prefixed.close();
  }
});

test('the sweep lists and removes the old objects no record names', async () => {
  const storage = storeAt('catalog-b');
  const env = {
    ...server.env,
    STORAGE_URL: server.storageUrl.replace('?', '/catalog-b?'),
    REDIS_URL: own.server.url,
  };
  try {
    await checkCatalogMark(storage, catalogRecordOf(own.redis), {
      where: env.STORAGE_URL,
      stores: storeRecordOf(own.redis),
      logger: { warn: () => {} },
    });
    const store = new StateStore(own.redis);
    const usage = new SiteUsage(own.redis);
    const site = await store.createSite({ name: 's3', token: 's3-token', webhookSecret: 'w' });
    const job = await store.createJob(site.id, { name: 'named' });
    const named = `sources/${site.id}/named`;
    const upload = await store.addUpload(site.id, job.id, {
      formats: ['mp3'],
      sources: {
        wav: { format: 'wav', storageKey: named, filename: 'a.wav', bytes: 5, sha256: 'x' },
      },
      meta: {},
    });
    assert.ok(upload !== 'closed');
    const orphanSource = `sources/${site.id}/orphan`;
    const orphanTrack = 'tracks/7/mp3.u2.feedf00d.mp3';
    // The catalog numbered that track (deleted since, its record gone).
    await own.redis.hset(keys.seq(), 'track', 7);
    const young = `sources/${site.id}/young`;
    for (const [key, bytes] of [[named, 5], [orphanSource, 3], [orphanTrack, 4], [young, 2]]) {
      await storage.put(String(key), Readable.from([Buffer.alloc(Number(bytes))]));
      await usage.stored(site.id, String(key), Number(bytes));
    }
    const old = new Date(Date.now() - 2 * DAY_MS);
    for (const key of [named, orphanSource, orphanTrack]) {
      await server.backdate(`catalog-b/${key}`, old);
    }

    const dry = await runSweep(env);
    assert.equal(dry.code, 0, dry.stderr);
    const listed = dry.answer.orphans.map((o: { key: string }) => o.key).sort();
    assert.deepEqual(listed, [orphanSource, orphanTrack].sort());
    assert.equal(dry.answer.orphan_bytes, 7);
    assert.equal(dry.answer.kept_young, 1);
    assert.equal(await storage.size(orphanTrack), 4, 'a dry run removes nothing');

    const swept = await runSweep(env, '--delete');
    assert.equal(swept.code, 0, swept.stderr);
    assert.equal(swept.answer.removed, 2);
    assert.equal(await storage.size(orphanSource), undefined);
    assert.equal(await storage.size(orphanTrack), undefined);
    assert.equal(await storage.size(named), 5);
    assert.equal(await storage.size(young), 2);
    assert.equal(await usage.total(site.id), 7);
    assert.equal(await own.redis.hexists(keys.siteStored(site.id), orphanTrack), 0);
  } finally {
    await storage.close();
  }
});
