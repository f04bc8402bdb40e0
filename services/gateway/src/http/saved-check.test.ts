import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { redisForTests, waitUntil } from '@ingest/testkit';
import { SavedCheck } from './saved-check';

const own = redisForTests();

test('a Redis started again between the mark and the check refuses the call', async () => {
  await own.started;
  const check = new SavedCheck(own.redis);
  await own.redis.ping();
  await check.confirm(check.mark());

  // The call's mark is taken before its writes; Redis is killed after
  // them (its answered write may be lost) and comes back before the check.
  const mark = check.mark();
  await own.redis.set('written', '1');
  await own.server.stop('SIGKILL');
  await own.server.resume();
  if (own.redis.status !== 'ready') await once(own.redis, 'ready');

  await assert.rejects(check.confirm(mark), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'not_ready');
    assert.match(err.message, /connection to Redis was lost meanwhile/);
    return true;
  });
  // A later call, marked after the new connection, goes through.
  await check.confirm(check.mark());
});

test('a call that came in while Redis was away, and wrote once it was back, goes through', async () => {
  await own.started;
  const check = new SavedCheck(own.redis);
  await own.server.stop('SIGKILL');
  await waitUntil(() => own.redis.status !== 'ready');
  const mark = check.mark();
  const written = own.redis.set('written', '2');
  await own.server.resume();
  await written;
  await check.confirm(mark);
});
