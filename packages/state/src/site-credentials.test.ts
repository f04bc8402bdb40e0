import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisForTests } from '@ingest/testkit';
import type { ChainableCommander, Redis } from 'ioredis';
import { RotatedMeanwhile, SiteCredentials } from './site-credentials';
import { StateStore } from './state-store';

const own = redisForTests();

/**
 * `redis` as one rotation sees it: its first EXEC waits for `meanwhile`
 * (another rotation, run whole between this one's read and its write),
 * so the race runs the same every time.
 */
function execAfter(redis: Redis, meanwhile: () => Promise<unknown>): Redis {
  let waited = false;
  const multi = (): ChainableCommander => {
    const transaction = redis.multi();
    const exec = transaction.exec.bind(transaction);
    transaction.exec = async (...args: Parameters<typeof exec>) => {
      if (!waited) {
        waited = true;
        await meanwhile();
      }
      return exec(...args);
    };
    return transaction;
  };
  return new Proxy(redis, {
    get(target, name) {
      if (name === 'multi') return multi;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function siteWithToken(token: string) {
  const store = new StateStore(own.redis);
  const site = await store.createSite({ name: token, token, webhookSecret: 'whsec_x' });
  return { store, site };
}

test('a token rotation another was written during is refused, storing nothing', async () => {
  const { store, site } = await siteWithToken('token-before-the-rotations');
  // Each from a connection of its own, as two operators' scripts would.
  const [a, b] = [own.client(), own.client()];
  let revokedByB: number | undefined;
  const rotationB = async () => {
    revokedByB = await new SiteCredentials(b).replaceToken(site.id, 'token-of-b');
  };

  await assert.rejects(
    new SiteCredentials(execAfter(a, rotationB)).replaceToken(site.id, 'token-of-a'),
    (err: unknown) =>
      err instanceof RotatedMeanwhile &&
      /another token rotation of site \d+ ran at the same time/.test(err.message),
  );
  // B's token, printed as the site's, is the site's.
  assert.equal(revokedByB, 1);
  assert.equal((await store.siteByToken('token-of-b'))?.id, site.id);
  assert.equal(await store.siteByToken('token-of-a'), undefined, "A's token works");
  assert.equal(await store.siteByToken('token-before-the-rotations'), undefined);
  const credentials = new SiteCredentials(own.redis);
  assert.equal(await credentials.revokedFrom('token-of-b'), undefined);
  assert.equal(await credentials.revokedFrom('token-before-the-rotations'), site.id);
  assert.equal(await credentials.revokedFrom('token-of-a'), undefined);
  // Run again, it replaces B's.
  assert.equal(await new SiteCredentials(a).replaceToken(site.id, 'token-of-a'), 1);
  assert.equal((await store.siteByToken('token-of-a'))?.id, site.id);
  assert.equal(await store.siteByToken('token-of-b'), undefined);
});

test('of two token rotations at once, the token of the last that succeeded works', async () => {
  const [a, b] = [own.client(), own.client()];
  for (let pair = 0; pair < 20; pair++) {
    const { store, site } = await siteWithToken(`token-of-pair-${pair}`);
    const tokens = [`token-a-of-pair-${pair}`, `token-b-of-pair-${pair}`];
    const ends = await Promise.allSettled([
      new SiteCredentials(a).replaceToken(site.id, tokens[0]),
      new SiteCredentials(b).replaceToken(site.id, tokens[1]),
    ]);
    const working: string[] = [];
    for (const token of [`token-of-pair-${pair}`, ...tokens]) {
      if ((await store.siteByToken(token))?.id === site.id) working.push(token);
    }
    assert.equal(working.length, 1, `pair ${pair}: ${working.join(', ')} work`);
    // A refused rotation's token never works; a working one's rotation succeeded.
    const succeeded = tokens.filter((_, i) => ends[i].status === 'fulfilled');
    assert.ok(succeeded.includes(working[0]), `pair ${pair}: ${working[0]} was refused`);
    for (const end of ends) {
      if (end.status === 'rejected') assert.ok(end.reason instanceof RotatedMeanwhile);
    }
  }
});
