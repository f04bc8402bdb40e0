/**
 * The default site of `npm start`, found again by INGEST_DEV_TOKEN. The
 * README has that variable keep a site across restarts; with the token
 * of a `site:create` site, every start replaced the site's custom
 * fields with INGEST_DEV_CUSTOM_FIELDS's default ("External ID"), so
 * its uploads naming its own fields were refused from then on.
 *
 * Without that variable, every start made a new site with a new token,
 * and the jobs of the one before were out of reach (`job 4 not found`):
 * the site is now kept in the data dir and found again while it still
 * answers to the token kept.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '@ingest/config';
import { SiteCredentials, StateStore } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import { assertDevSettingsCurrent, ensureDevSite } from '../../scripts/dev-site';
import { devSiteFile } from '../../scripts/dev-site-file';

const own = redisForTests();
let store: StateStore;
let tmp: string;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ingest-dev-site-'));
});

after(() => rm(tmp, { recursive: true, force: true }));

/** Settings of a start with a data dir of its own, no INGEST_DEV_TOKEN. */
async function freshDir(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(path.join(tmp, 'data-'));
  return loadConfig({ INGEST_DATA_DIR: dataDir, ...env });
}

async function labelSite(token: string) {
  return store.createSite({
    name: 'Label Two',
    token,
    webhookSecret: 'whsec_bGFiZWwgdHdvIHNlY3JldCEh',
    contactEmail: 'ops@example.com',
    customFields: ['ISWC Code'],
  });
}

test('a site found by INGEST_DEV_TOKEN keeps its custom fields when none are given', async () => {
  const token = 'label-two-token-0001';
  const site = await labelSite(token);

  const found = await ensureDevSite(loadConfig({ INGEST_DEV_TOKEN: token }), own.server.url);

  assert.equal(found.siteId, site.id);
  const after = await store.siteByToken(token);
  assert.deepEqual(after?.customFields, ['ISWC Code']);
  assert.equal(after?.contactEmail, 'ops@example.com');
});

test('INGEST_DEV_CUSTOM_FIELDS given replaces them', async () => {
  const token = 'label-two-token-0002';
  await labelSite(token);
  const config = loadConfig({ INGEST_DEV_TOKEN: token, INGEST_DEV_CUSTOM_FIELDS: 'A, B' });

  await ensureDevSite(config, own.server.url);

  assert.deepEqual((await store.siteByToken(token))?.customFields, ['A', 'B']);
});

test('a new default site has the default custom field', async () => {
  const made = await ensureDevSite(await freshDir(), own.server.url);

  const site = await store.siteByToken(made.token);
  assert.deepEqual(site?.customFields, ['External ID']);
});

test('without INGEST_DEV_TOKEN the site is kept in the data dir, 0600, found again', async () => {
  const config = await freshDir();

  const first = await ensureDevSite(config, own.server.url);
  const second = await ensureDevSite(config, own.server.url);

  assert.deepEqual(
    [second.siteId, second.token, second.webhookSecret, second.stale],
    [first.siteId, first.token, first.webhookSecret, undefined],
  );
  const file = devSiteFile(config.dataDir);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const kept = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(kept, { siteId: first.siteId, token: first.token });
});

test('a kept site whose token site:rotate replaced gives a new site, kept instead', async () => {
  const config = await freshDir();
  const first = await ensureDevSite(config, own.server.url);
  await new SiteCredentials(own.redis).replaceToken(first.siteId, 'rotated-token-00000001');

  const next = await ensureDevSite(config, own.server.url);

  assert.notEqual(next.siteId, first.siteId);
  assert.notEqual(next.token, first.token);
  assert.deepEqual(next.stale, { siteId: first.siteId, token: first.token });
  const kept = JSON.parse(await readFile(devSiteFile(config.dataDir), 'utf8'));
  assert.deepEqual(kept, { siteId: next.siteId, token: next.token });
});

test('a kept file that is no JSON, or names another site, gives a new site', async () => {
  const config = await freshDir();
  const file = devSiteFile(config.dataDir);
  await writeFile(file, 'not json', { mode: 0o644 });

  const first = await ensureDevSite(config, own.server.url);
  assert.equal(first.unusable, 'not JSON');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await assertSetAside(first.setAside, 'not json');

  // JSON that names nothing is kept aside as well.
  await writeFile(file, '{"token": "a token typed by hand"}\n', { mode: 0o600 });
  const second = await ensureDevSite(config, own.server.url);
  assert.equal(second.unusable, 'no siteId');
  await assertSetAside(second.setAside, '{"token": "a token typed by hand"}\n');
  assert.deepEqual(
    JSON.parse(await readFile(file, 'utf8')),
    { siteId: second.siteId, token: second.token },
  );

  // A token that answers for a site other than the one the file names.
  const other = await labelSite('label-two-token-0003');
  await writeFile(file, JSON.stringify({ siteId: first.siteId, token: 'label-two-token-0003' }));
  const next = await ensureDevSite(config, own.server.url);
  assert.ok(![first.siteId, other.id].includes(next.siteId), String(next.siteId));
  assert.deepEqual((await store.getSite(other.id))?.customFields, ['ISWC Code']);
});

/**
 * A kept file that named no site was overwritten by the new site's, and
 * what it held (a token someone needed) was lost: it is moved aside.
 */
async function assertSetAside(aside: string | undefined, held: string) {
  assert.match(aside ?? '', /\/dev-site\.json\.bad-\d{8}T\d{6}\.\d{3}Z$/);
  assert.equal(await readFile(aside!, 'utf8'), held);
  assert.equal((await stat(aside!)).mode & 0o777, 0o600);
}

test('a FIFO in the kept file\'s place is refused, not read', { timeout: 20_000 }, async () => {
  const config = await freshDir();
  const file = devSiteFile(config.dataDir);
  await promisify(execFile)('mkfifo', [file]);
  const sitesBefore = await own.redis.keys('*');

  try {
    // Reading it waited for a writer that never came: the start hung.
    await assert.rejects(
      assertDevSettingsCurrent(config, own.server.url),
      /dev-site\.json cannot be read \(not a file\)/,
    );
    await assert.rejects(ensureDevSite(config, own.server.url), /cannot be read/);
    assert.deepEqual(await own.redis.keys('*'), sitesBefore, 'no site made');
  } finally {
    // Lets a read that did start end, should the refusal be missing
    // (without a reader, a non-blocking open fails at once: ENXIO).
    const writer = await open(file, constants.O_WRONLY | constants.O_NONBLOCK)
      .catch(() => undefined);
    await writer?.close();
  }
});

test('a replaced INGEST_DEV_WEBHOOK_SECRET is refused for the kept site too', async () => {
  const config = await freshDir();
  const first = await ensureDevSite(config, own.server.url);
  const site = (await store.getSite(first.siteId))!;
  await new SiteCredentials(own.redis).replaceWebhookSecret(
    site,
    'whsec_bmV3IHNlY3JldCBmb3IgdGhlIGtlcHQgc2l0ZQ==',
    Date.now() + 60_000,
  );
  const again = loadConfig({
    INGEST_DATA_DIR: config.dataDir,
    INGEST_DEV_WEBHOOK_SECRET: first.webhookSecret,
  });

  await assert.rejects(
    assertDevSettingsCurrent(again, own.server.url),
    new RegExp(`webhook secret of site ${first.siteId} that npm run site:rotate replaced`),
  );
});
