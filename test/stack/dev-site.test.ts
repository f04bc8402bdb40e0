/**
 * The default site of `npm start`, found again by INGEST_DEV_TOKEN. The
 * README has that variable keep a site across restarts; with the token
 * of a `site:create` site, every start replaced the site's custom
 * fields with INGEST_DEV_CUSTOM_FIELDS's default ("External ID"), so
 * its uploads naming its own fields were refused from then on.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { StateStore } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import { ensureDevSite } from '../../scripts/dev-site';

const own = redisForTests();
let store: StateStore;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
});

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

  assert.equal(found.id, site.id);
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
  const made = await ensureDevSite(loadConfig({}), own.server.url);

  const site = await store.siteByToken(made.token);
  assert.deepEqual(site?.customFields, ['External ID']);
});
