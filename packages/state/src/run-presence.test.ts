/**
 * Runs of one queue job marked present by transcoders of different
 * INGEST_TRANSCODE_LOCK settings, hence different leases and renewal
 * periods, against one real redis-server: each run lasts by its own
 * transcoder's lease, and a check waits its own renewal period.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisForTests, waitUntil } from '@ingest/testkit';
import { keys } from './keys';
import { RunPresence } from './run-presence';

const own = redisForTests();

/** A transcoder with a long lock, and one with a short. */
const LONG_LEASE_MS = 30_000;
const SHORT_LEASE_MS = 2_000;

/** KEYS: runs. Counts those present by Redis's clock. */
const PRESENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`;

const present = async (bullJobId: string) =>
  Number(await own.redis.eval(PRESENT, 1, keys.queueJobRuns(bullJobId)));

// The key of a job's runs lapsed with the lease of whichever transcoder
// renewed last: a run of a short-lock transcoder that died took the
// long-lock one's live run with it, and the job's work was errored.
test('a dead run of a short-lock transcoder takes no live run with it', async () => {
  await own.started;
  const long = new RunPresence(own.redis, LONG_LEASE_MS);
  const short = new RunPresence(own.redis, SHORT_LEASE_MS);
  const run = await long.enter('j1');
  try {
    // The short-lock transcoder's run, over a connection of its own; it dies.
    const doomed = own.client();
    await new RunPresence(doomed, SHORT_LEASE_MS).enter('j1');
    assert.equal(await present('j1'), 2);
    doomed.disconnect();

    await waitUntil(async () => (await present('j1')) < 2, {
      message: 'the dead run never lapsed',
      intervalMs: 20,
    });
    assert.equal(await present('j1'), 1, 'the live run is still present');
    assert.equal(await short.gone('j1'), false);
  } finally {
    await run.leave();
  }
});

// A check took a run for gone once it was absent twice, one renewal
// period of the checking transcoder apart: a run of a transcoder with a
// longer lock, lapsed while its renewals were held up, had not had its
// turn to renew yet, and its job's work was errored under it.
test('a check waits for the renewal period of the run it finds lapsed', async () => {
  await own.started;
  // A lease of 6 s: renewed every 2 s, time enough for the lapse and
  // its check below to come before the first renewal on a loaded machine.
  const long = new RunPresence(own.redis, 6_000);
  const short = new RunPresence(own.redis, SHORT_LEASE_MS);
  const run = await long.enter('j2');
  try {
    // Its presence lapses, as when its renewals did not reach Redis for
    // a lease (an outage); its transcoder still renews on its period.
    const lapse = `
local t = redis.call('TIME')
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000 - 1000, m)
end`;
    await own.redis.eval(lapse, 1, keys.queueJobRuns('j2'));
    assert.equal(await present('j2'), 0);

    assert.equal(await short.gone('j2'), false, 'the live run was taken for gone');
    assert.equal(await present('j2'), 1);
  } finally {
    await run.leave();
  }
});
