import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisForTests } from '@ingest/testkit';
import type { ChainableCommander, Redis } from 'ioredis';
import { SiteCredentials } from './site-credentials';
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

test('a token rotation between the read and the write of another loses to it', async () => {
  const { store, site } = await siteWithToken('token-before-the-rotations');
  // Each from a connection of its own, as two operators' scripts would.
  const [a, b] = [own.client(), own.client()];
  let revokedByB: number | undefined;
  const rotationB = async () => {
    revokedByB = await new SiteCredentials(b).replaceToken(site.id, 'token-of-b');
  };

  const revokedByA = await new SiteCredentials(execAfter(a, rotationB)).replaceToken(
    site.id,
    'token-of-a',
  );
  // B took the first token; A, written last, took B's.
  assert.deepEqual([revokedByA, revokedByB], [1, 1]);
  assert.equal((await store.siteByToken('token-of-a'))?.id, site.id);
  assert.equal(await store.siteByToken('token-of-b'), undefined, "B's token works");
  assert.equal(await store.siteByToken('token-before-the-rotations'), undefined);
  const credentials = new SiteCredentials(own.redis);
  assert.equal(await credentials.revokedFrom('token-of-b'), site.id);
  assert.equal(await credentials.revokedFrom('token-before-the-rotations'), site.id);
  assert.equal(await credentials.revokedFrom('token-of-a'), undefined);
});

test('of two token rotations sent at once, one new token works', async () => {
  const [a, b] = [own.client(), own.client()];
  for (let pair = 0; pair < 20; pair++) {
    const { store, site } = await siteWithToken(`token-of-pair-${pair}`);
    const tokens = [`token-a-of-pair-${pair}`, `token-b-of-pair-${pair}`];
    await Promise.all([
      new SiteCredentials(a).replaceToken(site.id, tokens[0]),
      new SiteCredentials(b).replaceToken(site.id, tokens[1]),
    ]);
    const working: string[] = [];
    for (const token of [`token-of-pair-${pair}`, ...tokens]) {
      if ((await store.siteByToken(token))?.id === site.id) working.push(token);
    }
    assert.equal(working.length, 1, `pair ${pair}: ${working.join(', ')} work`);
  }
});
