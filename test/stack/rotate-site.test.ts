/**
 * `npm run site:rotate`, the README's way to replace a site's token or
 * webhook secret, against a Redis of its own: the old token stops
 * working at once and no other site's does; the old secret is kept to
 * sign beside the new one for a day; wrong options are one line each.
 * `npm start` with an INGEST_DEV_TOKEN or INGEST_DEV_WEBHOOK_SECRET that
 * site:rotate replaced is refused in one line, nothing written (before,
 * the revoked token made a new site, so the leaked token opened the
 * stack again, and a replaced secret was written back over the new one).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { SiteCredentials, signingSecrets, StateStore } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import {
  assertOneLine,
  assertRefusedPlainly,
  stackPorts,
  startStack,
} from './stack-processes';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY_MS = 24 * 60 * 60 * 1000;

const own = redisForTests();
let store: StateStore;
/** Data dirs of the `npm start` runs. */
const dirs: string[] = [];

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
});

after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function rotate(...args: string[]) {
  return run('npm', ['run', '--silent', 'site:rotate', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: own.server.url },
    timeout: 30_000,
  }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

const newSite = (name: string, token: string) =>
  store.createSite({ name, token, webhookSecret: `whsec_${btoa(name.padEnd(24))}` });

test('--token: the new token finds the site, the old one nothing', async () => {
  const site = await newSite('Rotated', 'old-token-of-rotated-site');
  const other = await newSite('Other', 'token-of-another-site');

  const rotated = await rotate('--site', String(site.id), '--token');
  assert.equal(rotated.code, 0, rotated.stderr);
  const answer = JSON.parse(rotated.stdout);
  assert.equal(answer.site_id, site.id);
  assert.equal(answer.tokens_revoked, 1);
  assert.equal(answer.webhook_secret, undefined, 'the secret was not asked for');

  assert.equal(await store.siteByToken('old-token-of-rotated-site'), undefined);
  assert.equal((await store.siteByToken(answer.token))?.id, site.id);
  assert.equal((await store.siteByToken('token-of-another-site'))?.id, other.id);
  assert.equal((await store.getSite(site.id))?.webhookSecret, site.webhookSecret);
});

test('--webhook-secret: a new secret; the old one signs for a day', async () => {
  const site = await newSite('Secret', 'token-of-secret-site');
  const before = Date.now();

  const rotated = await rotate('--webhook-secret', '--site', String(site.id));
  assert.equal(rotated.code, 0, rotated.stderr);
  const answer = JSON.parse(rotated.stdout);
  assert.match(answer.webhook_secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.equal(answer.token, undefined, 'the token was not asked for');

  const stored = await store.getSite(site.id);
  assert.equal(stored?.webhookSecret, answer.webhook_secret);
  assert.equal(stored?.formerSecrets?.length, 1);
  assert.equal(stored?.formerSecrets?.[0].secret, site.webhookSecret);
  const until = stored?.formerSecrets?.[0].until ?? 0;
  assert.ok(until >= before + DAY_MS && until <= Date.now() + DAY_MS, String(until));
  assert.equal(answer.former_secret_signs_until, new Date(until).toISOString());
  assert.equal((await store.siteByToken('token-of-secret-site'))?.id, site.id);

  // Again within the day: the first secret still signs, beside the second.
  const again = await rotate('--site', String(site.id), '--webhook-secret');
  assert.equal(again.code, 0, again.stderr);
  const twice = await store.getSite(site.id);
  assert.deepEqual(
    twice && signingSecrets(twice, Date.now()),
    [JSON.parse(again.stdout).webhook_secret, answer.webhook_secret, site.webhookSecret],
  );
});

test('a rotation keeps a change made to the site meanwhile', async () => {
  const site = await newSite('Before', 'token-of-renamed-site');
  await store.updateSite({ ...site, name: 'After', contactEmail: 'ops@example.com' });
  const credentials = new SiteCredentials(own.redis);
  await credentials.replaceWebhookSecret(site, 'whsec_bmV3', Date.now() + DAY_MS);
  const stored = await store.getSite(site.id);
  assert.equal(stored?.name, 'After');
  assert.equal(stored?.contactEmail, 'ops@example.com');
  assert.equal(stored?.webhookSecret, 'whsec_bmV3');
});

test('wrong options and an unknown site: one line each, exit 1', async () => {
  const cases: [string[], RegExp][] = [
    [[], /^usage: npm run site:rotate -- --site ID/],
    [['--site', '1'], /^usage: npm run site:rotate/],
    [['--site', 'one', '--token'], /^usage: npm run site:rotate/],
    [['--site', '1', '--secret'], /^Unknown option '--secret'; usage: npm run site:rotate/],
    [['--site', '999', '--token'], /^there is no site 999$/],
  ];
  for (const [args, refusal] of cases) {
    const refused = await rotate(...args);
    assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
    assertOneLine(refused.stderr, refusal);
  }
});

/** `npm start` on the test's Redis, with `env` added. */
async function startWith(env: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-rotated-dev-'));
  dirs.push(dir);
  return startStack({
    INGEST_DATA_DIR: path.join(dir, 'data'),
    REDIS_URL: own.server.url,
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
  await new SiteCredentials(own.redis).replaceToken(site.id, 'dev-token-of-now-on');

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

/** npm start with the site's token and a secret a rotation replaced: refused. */
async function assertSecretRefused(siteId: number, token: string, secret: string) {
  const start = await startWith({ INGEST_DEV_TOKEN: token, INGEST_DEV_WEBHOOK_SECRET: secret });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(`^INGEST_DEV_WEBHOOK_SECRET is a webhook secret of site ${siteId} `),
    );
  } finally {
    await start.stop();
  }
}

test('a replaced INGEST_DEV_WEBHOOK_SECRET is refused and not written back', async () => {
  const replaced = `whsec_${btoa('b'.repeat(24))}`;
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-of-a-rotated-secret',
    webhookSecret: replaced,
  });
  const now = `whsec_${btoa('c'.repeat(24))}`;
  await new SiteCredentials(own.redis).replaceWebhookSecret(site, now, Date.now() + DAY_MS);

  await assertSecretRefused(site.id, 'dev-token-of-a-rotated-secret', replaced);
  assert.equal((await store.getSite(site.id))?.webhookSecret, now);
});

test('a secret replaced twice over, its day over, is still refused', async () => {
  const first = `whsec_${btoa('d'.repeat(24))}`;
  const site = await store.createSite({
    name: 'default',
    token: 'dev-token-of-a-twice-rotated-secret',
    webhookSecret: first,
  });
  const credentials = new SiteCredentials(own.redis);
  // The first one's day is over: the second rotation drops it from the
  // secrets that sign, but it stays retired.
  const second = await credentials.replaceWebhookSecret(
    site,
    `whsec_${btoa('e'.repeat(24))}`,
    Date.now() - 1,
  );
  await credentials.replaceWebhookSecret(second, `whsec_${btoa('f'.repeat(24))}`, Date.now());
  const stored = await store.getSite(site.id);
  assert.equal(stored?.formerSecrets?.some((f) => f.secret === first), false);

  await assertSecretRefused(site.id, 'dev-token-of-a-twice-rotated-secret', first);
});

test('two rotations of a secret at once keep both replaced secrets', async () => {
  const site = await newSite('Twice at once', 'token-of-a-site-rotated-twice');
  // Each from a connection of its own, as two operators' scripts would.
  const [a, b] = [createRedis(own.server.url), createRedis(own.server.url)];
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
  // The first secret and whichever new one was written first both sign
  // beside the last: nothing replaced is lost.
  assert.deepEqual(
    signingSecrets(stored, Date.now()).sort(),
    [site.webhookSecret, 'whsec_c2Vjb25k', 'whsec_dGhpcmQ='].sort(),
  );
});
