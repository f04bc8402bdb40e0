import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, RedisServer } from '@ingest/testkit';
import { Redis } from 'ioredis';
import { checkRedis, PreflightError } from './redis-preflight';

let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});

after(async () => {
  redis.disconnect();
  await server.close();
});

async function warningsWith(settings: Record<string, string>) {
  for (const [name, value] of Object.entries(settings)) {
    await redis.config('SET', name, value);
  }
  const warnings: string[] = [];
  await checkRedis(redis, { warn: (_fields, message) => warnings.push(message) });
  return warnings;
}

test('the append-only file passes without a word', async () => {
  assert.deepEqual(await warningsWith({ appendonly: 'yes', save: '' }), []);
});

test('RDB snapshots alone are warned about: they lose the latest work', async () => {
  const warnings = await warningsWith({ appendonly: 'no', save: '3600 1 300 100' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /appendonly is off.*last RDB snapshot/);
});

test('no persistence at all is warned about', async () => {
  const warnings = await warningsWith({ appendonly: 'no', save: '' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /persistence is off.*every job/);
});

test('an evicting Redis is refused', async () => {
  await redis.config('SET', 'appendonly', 'yes');
  await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    await assert.rejects(checkRedis(redis, { warn: () => {} }), PreflightError);
  } finally {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('a Redis that forbids CONFIG passes unchecked', async () => {
  // Managed services often refuse CONFIG: an error reply, not an outage.
  await redis.call(
    'ACL', 'SETUSER', 'noconfig', 'on', '>pw', '~*', '+@all', '-config',
  );
  const limited = new Redis(server.url, {
    username: 'noconfig',
    password: 'pw',
  });
  try {
    const warnings: string[] = [];
    await checkRedis(limited, { warn: (_f, message) => warnings.push(message) });
    assert.deepEqual(warnings, []);
  } finally {
    limited.disconnect();
  }
});

test('a Redis that does not answer fails the check, not passes it', async () => {
  // Nothing listens there: the policy was never read, so no start.
  const port = await freePort();
  const silent = new Redis(`redis://127.0.0.1:${port}`, {
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  try {
    await assert.rejects(
      checkRedis(silent, { warn: () => {} }),
      (err: Error) =>
        err instanceof PreflightError &&
        /maxmemory-policy could not be read/.test(err.message),
    );
  } finally {
    silent.disconnect();
  }
});
