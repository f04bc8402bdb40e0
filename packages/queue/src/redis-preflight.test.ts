import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, redisForTests } from '@ingest/testkit';
import { Redis } from 'ioredis';
import { checkRedis, PreflightError } from './redis-preflight';

const own = redisForTests();

async function warningsWith(settings: Record<string, string>) {
  for (const [name, value] of Object.entries(settings)) {
    await own.redis.config('SET', name, value);
  }
  const warnings: string[] = [];
  await checkRedis(own.redis, { warn: (_fields, message) => warnings.push(message) });
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
  await own.redis.config('SET', 'appendonly', 'yes');
  await own.redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    await assert.rejects(checkRedis(own.redis, { warn: () => {} }), PreflightError);
  } finally {
    await own.redis.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('a Redis that forbids CONFIG passes unchecked', async () => {
  // Managed services often refuse CONFIG: an error reply, not an outage.
  await own.redis.call(
    'ACL', 'SETUSER', 'noconfig', 'on', '>pw', '~*', '+@all', '-config',
  );
  const limited = new Redis(own.server.url, {
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
