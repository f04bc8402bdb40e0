import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import { SiteUsage } from './site-usage';

let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = createRedis(server.url);
});

after(async () => {
  redis.disconnect();
  await server.close();
});

test('a key stored or removed twice is counted once', async () => {
  const usage = new SiteUsage(redis);
  await usage.stored(1, 'sources/1/a', 1000);
  // A job run again stores the same key: its size, not twice.
  await usage.stored(1, 'sources/1/a', 1000);
  await usage.stored(1, 'tracks/9/mp3.x.mp3', 250);
  assert.equal(await usage.total(1), 1250);

  await usage.removed(1, 'sources/1/a');
  // Two deletes that race: the second changes nothing.
  await usage.removed(1, 'sources/1/a');
  await usage.removed(1, 'never/stored');
  assert.equal(await usage.total(1), 250);
});

test('sites are counted apart, and a key re-stored at another size moves the total', async () => {
  const usage = new SiteUsage(redis);
  await usage.stored(2, 'k', 10);
  await usage.stored(2, 'k', 40);
  await usage.stored(3, 'k', 7);
  assert.deepEqual([await usage.total(2), await usage.total(3)], [40, 7]);
  assert.equal(await usage.total(4), 0);
});

test('sites() names each site whose files are counted', async () => {
  const usage = new SiteUsage(redis);
  await usage.stored(12, 'tracks/1/a', 1);
  await usage.stored(4, 'sources/4/b', 1);
  // The total of a site alone is no count of files.
  await redis.set(keys.siteStoredTotal(77), '5');
  const sites = await usage.sites();
  assert.ok(sites.includes(12) && sites.includes(4), String(sites));
  assert.equal(sites.includes(77), false);
  assert.deepEqual(sites, [...sites].sort((a, b) => a - b));
});
