import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { redisForTests, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import { UploadSlots } from './upload-slots';

const own = redisForTests();
/** Another gateway's client, contending with the lease holder's (own.redis). */
let otherRedis: Redis;

before(async () => {
  await own.started;
  otherRedis = own.client();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Renewed every third of it: a stall of the test process up to about 1 s is tolerated. */
const LEASE_MS = 1_500;

test('a lease is renewed while held and lapses once stopped', async () => {
  const slots = new UploadSlots(own.redis);
  const other = new UploadSlots(otherRedis);
  const lease = await slots.take(1, 'first', LEASE_MS);
  assert.ok(lease);
  await sleep(LEASE_MS * 3);
  assert.equal(await other.take(1, 'second', LEASE_MS), null, 'renewed');

  lease.stop();
  // It lapses a lease after its last renewal: asked until it has, with
  // room for a Redis or a test process held up meanwhile.
  const next = await waitUntil(() => other.take(1, 'second', LEASE_MS), {
    timeoutMs: LEASE_MS * 4,
    intervalMs: 50,
    message: 'a stopped lease did not lapse',
  });
  next.stop();
  await other.release(1, 'second');
});

test('a lease that lapsed while Redis was stopped is taken back', async () => {
  const slots = new UploadSlots(own.redis);
  const other = new UploadSlots(otherRedis);
  const lease = await slots.take(2, 'first', LEASE_MS);
  assert.ok(lease);
  try {
    process.kill(own.server.pid!, 'SIGSTOP');
    await sleep(LEASE_MS * 3);
    process.kill(own.server.pid!, 'SIGCONT');
    // The holder's renewals sent meanwhile run first when Redis goes on.
    await sleep(LEASE_MS);
    assert.equal(await own.redis.get(keys.uploadLock(2)), 'first');
    assert.equal(await other.take(2, 'second', LEASE_MS), null);
  } finally {
    lease.stop();
    await slots.release(2, 'first');
  }
  // Released: another holder's key is never taken over.
  const next = await other.take(2, 'second', LEASE_MS);
  assert.ok(next);
  await sleep(LEASE_MS);
  assert.equal(await own.redis.get(keys.uploadLock(2)), 'second');
  next.stop();
});
