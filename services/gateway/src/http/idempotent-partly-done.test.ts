/**
 * A call that stored what it was sent and then failed a later step
 * answers 500 naming what was stored ("upload 5 was stored, but …").
 * The SDK retries a 5xx with the same Idempotency-Key, taking the key to
 * make that safe; the key was freed as for a call that did nothing, so
 * the retry ran the request again (a second track update, or a
 * `duplicate_upload` in place of the first answer). The key now keeps
 * that answer, and a retry is told it again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { IdempotencyStore } from '@ingest/state';
import { redisForTests } from '@ingest/testkit';
import { noteOncomplete } from '../uploads/autopublish-notes';
import { runIdempotent } from './idempotency';
import { keyedUploadCall } from './keyed-call-kit';

const own = redisForTests();
const options = { ttlMs: 60_000, runningLeaseMs: 30_000 };

/** A call with Idempotency-Key `key`; its status is kept. */
const updateWithKey = (key: string) => keyedUploadCall(3, key);

test('a call that stored its work and then failed is not run again by its key', async () => {
  await own.started;
  const store = new IdempotencyStore(own.redis, options);
  let runs = 0;
  // What the gateway's upload call does: stores an update, then fails to
  // set the job's oncomplete (Redis refused that write).
  const handler = async () => {
    runs++;
    const refusing = { setOncomplete: async () => Promise.reject(new Error('OOM')) };
    await noteOncomplete(refusing, 4, 'https://example.test/hook', { update_id: 7 });
    return { update_id: 7 };
  };

  const first = updateWithKey('partly-1');
  const refusal = await runIdempotent(store, first.call, {}, handler).then(
    () => assert.fail('the first call succeeded'),
    (err: unknown) => err,
  );
  assert.ok(refusal instanceof ApiError);
  assert.match(refusal.message, /track update 7 was stored, but/);

  const retry = updateWithKey('partly-1');
  const replayed = await runIdempotent(store, retry.call, {}, handler);
  assert.equal(runs, 1, 'the retry ran the request again');
  assert.equal(retry.res.statusCode, 500);
  assert.deepEqual(replayed, refusal.toBody());
  assert.equal(retry.res.headers['idempotent-replayed'], 'true');
});

test('a call that failed having done nothing still frees its key', async () => {
  await own.started;
  const store = new IdempotencyStore(own.redis, options);
  let runs = 0;
  const handler = async () => {
    runs++;
    if (runs === 1) throw new ApiError('invalid_parameter', 'no such track');
    return { update_id: 8 };
  };
  await assert.rejects(runIdempotent(store, updateWithKey('partly-2').call, {}, handler));
  const retry = updateWithKey('partly-2');
  assert.deepEqual(await runIdempotent(store, retry.call, {}, handler), { update_id: 8 });
  assert.equal(runs, 2);
});
