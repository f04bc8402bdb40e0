/**
 * A write Redis does not answer in time (a stopped Redis, its
 * connection open) fails the call with 503, but Redis still runs it
 * once it goes on. The site's upload slot and an Idempotency-Key claim
 * taken that way were held with no one to free them: the client's
 * retry got 429 `upload_in_progress` or 409 `idempotency_in_progress`
 * until their lease lapsed. Each is now freed after it; a key whose
 * request's own write went unanswered is marked as maybe done instead.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, test } from 'node:test';
import { ApiError } from '@ingest/core';
import { createRedis, isRedisTimeout } from '@ingest/queue';
import { IdempotencyStore, keys, StateStore } from '@ingest/state';
import { redisForTests, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { UploadSlot } from '../uploads/upload-slot';
import { runIdempotent } from './idempotency';
import { keyedUploadCall } from './keyed-call-kit';

/** The gateway's connection: it gives up on a reply after a while. */
let timed: Redis | undefined;
const own = redisForTests({ closeFirst: async () => timed?.disconnect() });

before(async () => {
  await own.started;
  timed = createRedis(own.server.url, 'command', undefined, 300);
});

/**
 * Runs `write` while Redis is stopped: it must fail as unanswered. Once
 * Redis goes on, the connection's PING, sent after all it sent before,
 * is answered.
 */
async function unanswered(write: () => Promise<unknown>) {
  const pid = own.server.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    await assert.rejects(write(), (err) => isRedisTimeout(err));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await timed!.ping();
}

const options = { ttlMs: 60_000, runningLeaseMs: 30_000 };

/** An upload call of site `siteId` with Idempotency-Key `key`. */
const uploadWithKey = (siteId: number, key: string) => keyedUploadCall(siteId, key).call;

test('a slot taken with no answer is freed after it', async () => {
  const slot = new UploadSlot(new StateStore(timed!), 30_000);
  await unanswered(() => slot.take(7));

  assert.equal(await own.redis.get(keys.uploadLock(7)), null);
  const next = new UploadSlot(new StateStore(own.redis), 30_000);
  await next.take(7);
  await next.release();
});

test('an Idempotency-Key claimed with no answer is freed after it', async () => {
  const store = new IdempotencyStore(timed!, options);
  const call = uploadWithKey(8, 'stall-1');
  const answer = { upload_id: 1 };
  // Its scripts loaded first, as in a gateway that has run a while.
  await runIdempotent(store, call, {}, async () => answer);
  await own.redis.flushall();

  await unanswered(() => runIdempotent(store, call, {}, async () => answer));

  const again = new IdempotencyStore(own.redis, options);
  assert.deepEqual(await runIdempotent(again, call, {}, async () => answer), answer);
});

test('a key whose write was given up on is marked, not freed: no second run', async () => {
  const store = new IdempotencyStore(timed!, options);
  const call = uploadWithKey(10, 'stall-3');
  // The handler's write: it runs once Redis goes on, unseen by the call.
  const makeJob = async () => ({ job_id: await timed!.incr('made-jobs') });
  await runIdempotent(store, uploadWithKey(10, 'warm-up'), {}, makeJob);

  // The key is claimed; Redis stops before the handler's write.
  const pid = own.server.pid!;
  const stalled = runIdempotent(store, call, {}, async () => {
    process.kill(pid, 'SIGSTOP');
    return makeJob();
  });
  try {
    await assert.rejects(stalled, (err) => isRedisTimeout(err));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await timed!.ping();

  const again = new IdempotencyStore(own.redis, options);
  await assert.rejects(
    runIdempotent(again, call, {}, makeJob),
    (err) => err instanceof ApiError && err.code === 'idempotency_unknown',
  );
  assert.equal(await own.redis.get('made-jobs'), '2', 'the write given up on ran once');
});

test("a claim given up on frees no other request's claim of the key", async () => {
  const call = uploadWithKey(9, 'stall-2');
  const answer = { upload_id: 2 };
  // The same request, sent first, still runs: the key is its claim.
  let finish = () => {};
  const first = runIdempotent(
    new IdempotencyStore(own.redis, options),
    call,
    {},
    () => new Promise((resolve) => (finish = () => resolve(answer))),
  );
  const key = keys.idempotency(9, createHash('sha256').update('stall-2').digest('hex'));
  await waitUntil(async () => (await own.redis.exists(key)) === 1, {
    message: 'the first request never claimed the key',
  });

  // Its repeat, given no answer, found the key held: it claimed nothing.
  const repeat = new IdempotencyStore(timed!, options);
  await unanswered(() =>
    runIdempotent(repeat, call, {}, async () => assert.fail('the repeat ran')),
  );

  // The first one still holds the key: a third waits for it.
  await assert.rejects(
    runIdempotent(new IdempotencyStore(own.redis, options), call, {}, async () => answer),
    (err) => err instanceof ApiError && err.code === 'idempotency_in_progress',
  );
  finish();
  assert.deepEqual(await first, answer);
});
