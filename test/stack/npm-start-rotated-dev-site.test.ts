/**
 * `npm start` with INGEST_DEV_TOKEN or INGEST_DEV_WEBHOOK_SECRET that
 * `npm run site:rotate` replaced: refused in one line, nothing written.
 * Before, the revoked token found no site, so a new "default" site was
 * made with it (the leaked token opened the stack again), and a replaced
 * secret was written back over the new one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { SiteCredentials, StateStore } from '@ingest/state';
import { RedisServer } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { assertRefusedPlainly, stackPorts, startStack } from './stack-processes';

const DAY_MS = 24 * 60 * 60 * 1000;

let server: RedisServer;
let redis: Redis;
let store: StateStore;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-rotated-dev-'));
  server = await RedisServer.start();
  redis = createRedis(server.url);
  store = new StateStore(redis);
});

after(async () => {
  redis?.disconnect();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function startWith(env: Record<string, string>) {
  return startStack({
    INGEST_DATA_DIR: path.join(dir, 'data'),
    REDIS_URL: server.url,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
    ...env,
  });
}

test('a revoked INGEST_DEV_TOKEN is refused, and makes no site', async () => {
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-that-leaked',
    webhookSecret: `whsec_${btoa('a'.repeat(24))}`,
  });
  await new SiteCredentials(redis).replaceToken(site.id, 'dev-token-of-now-on');

  const start = await startWith({ INGEST_DEV_TOKEN: 'dev-token-that-leaked' });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(`^INGEST_DEV_TOKEN is a token of site ${site.id} that npm run site:rotate`),
    );
  } finally {
    // Started anyway (without the check), it must not outlive the test.
    await start.stop();
  }
  assert.equal(await store.siteByToken('dev-token-that-leaked'), undefined);
  assert.equal(await store.getSite(site.id + 1), undefined, 'a new site was made');
});

test('a replaced INGEST_DEV_WEBHOOK_SECRET is refused and not written back', async () => {
  const before = `whsec_${btoa('b'.repeat(24))}`;
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-of-a-rotated-secret',
    webhookSecret: before,
  });
  const now = `whsec_${btoa('c'.repeat(24))}`;
  await new SiteCredentials(redis).replaceWebhookSecret(site, now, Date.now() + DAY_MS);

  const start = await startWith({
    INGEST_DEV_TOKEN: 'dev-token-of-a-rotated-secret',
    INGEST_DEV_WEBHOOK_SECRET: before,
  });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(`^INGEST_DEV_WEBHOOK_SECRET is a webhook secret of site ${site.id} `),
    );
  } finally {
    await start.stop();
  }
  assert.equal((await store.getSite(site.id))?.webhookSecret, now);
});
