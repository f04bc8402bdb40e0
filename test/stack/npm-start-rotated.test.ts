/**
 * `npm start` after `npm run site:rotate`: the default site's old token
 * or secret, still in INGEST_DEV_TOKEN / INGEST_DEV_WEBHOOK_SECRET from
 * before, must not come back. The old token opened a new, empty site
 * (a revoked token working again); the old secret replaced the new one,
 * so receivers that had switched failed every signature. Both are
 * refused in one line. Also: two rotations of a secret at once keep
 * both replaced secrets signing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { SiteCredentials, signingSecrets, StateStore } from '@ingest/state';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { assertRefusedPlainly, stackPorts, startStack } from './stack-processes';

const DAY_MS = 24 * 60 * 60 * 1000;
let server: RedisServer;
let redis: Redis;
let store: StateStore;
// One data dir (so one store) for every start: the Redis's catalog is
// marked in the first start's store.
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-rotated-'));
  server = await RedisServer.start();
  redis = createRedis(server.url);
  store = new StateStore(redis);
});

after(async () => {
  redis?.disconnect();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function refusedStart(env: Record<string, string>, refusal: RegExp) {
  const start = startStack({
    INGEST_DATA_DIR: path.join(dir, 'data'),
    REDIS_URL: server.url,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
    ...env,
  });
  try {
    await assertRefusedPlainly(start, refusal);
  } finally {
    await start.stop();
  }
}

test('a token site:rotate replaced opens no site at npm start', async () => {
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-before-rotation',
    webhookSecret: 'whsec_YmVmb3JlLXJvdGF0aW9uLXNlY3JldA==',
  });
  await new SiteCredentials(redis).replaceToken(site.id, 'dev-token-after-rotation');
  const sitesBefore = await redis.hget('{ingest}:seq', 'site');

  await refusedStart(
    { INGEST_DEV_TOKEN: 'dev-token-before-rotation' },
    new RegExp(`^INGEST_DEV_TOKEN is a token npm run site:rotate took from site ${site.id}:`),
  );
  assert.equal(await store.siteByToken('dev-token-before-rotation'), undefined);
  assert.equal(await redis.hget('{ingest}:seq', 'site'), sitesBefore, 'no site was made');
});

test('a webhook secret site:rotate replaced is not put back by npm start', async () => {
  const old = 'whsec_b2xkLXNlY3JldC1vZi10aGUtZGV2LXNpdGU=';
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-of-secret-site',
    webhookSecret: old,
  });
  const rotated = await new SiteCredentials(redis).replaceWebhookSecret(
    site,
    'whsec_bmV3LXNlY3JldC1vZi10aGUtZGV2LXNpdGU=',
    Date.now() + DAY_MS,
  );

  await refusedStart(
    { INGEST_DEV_TOKEN: 'dev-token-of-secret-site', INGEST_DEV_WEBHOOK_SECRET: old },
    new RegExp(
      `^INGEST_DEV_WEBHOOK_SECRET is a secret npm run site:rotate replaced for site ${site.id}:`,
    ),
  );
  assert.equal((await store.getSite(site.id))?.webhookSecret, rotated.webhookSecret);
});

test('two rotations of a secret at once keep both replaced secrets', async () => {
  const site = await store.createSite({
    name: 'twice',
    token: 'token-of-a-site-rotated-twice',
    webhookSecret: 'whsec_Zmlyc3Q=',
  });
  // Each from a connection of its own, as two operators' scripts would.
  const [a, b] = [createRedis(server.url), createRedis(server.url)];
  try {
    const until = Date.now() + DAY_MS;
    await Promise.all([
      new SiteCredentials(a).replaceWebhookSecret(site, 'whsec_c2Vjb25k', until),
      new SiteCredentials(b).replaceWebhookSecret(site, 'whsec_dGhpcmQ=', until),
    ]);
  } finally {
    a.disconnect();
    b.disconnect();
  }
  const stored = await store.getSite(site.id);
  assert.ok(stored);
  const signing = signingSecrets(stored, Date.now());
  // The first secret and whichever new one was written first both sign
  // beside the last: nothing replaced is lost.
  assert.equal(signing.length, 3, JSON.stringify(signing));
  assert.deepEqual(
    [...signing].sort(),
    ['whsec_Zmlyc3Q=', 'whsec_c2Vjb25k', 'whsec_dGhpcmQ='].sort(),
  );
});
