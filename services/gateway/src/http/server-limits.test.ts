import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { connectionCap, openFileLimit, serverLimits } from './server-limits';

const config = (env: Record<string, string> = {}) =>
  loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', ...env });

test('the cap leaves descriptors below the open-file limit', () => {
  assert.equal(connectionCap(undefined), 10_000);
  assert.equal(connectionCap(1_048_576), 10_000);
  assert.equal(connectionCap(1_024), 768);
  assert.equal(connectionCap(100), 64);
  if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0);
});

test('headers get 20 s; a body its fetch timeout, then the 5 s backstop', () => {
  const limits = serverLimits(config(), 1_024);
  assert.deepEqual(limits, {
    requestTimeout: 605_000,
    headersTimeout: 20_000,
    connectionsCheckingInterval: 5_000,
    maxConnections: 768,
    // A JSON or form body: 2 min, 16 KiB in every 30 s.
    smallBodyPace: { timeoutMs: 120_000, windowMs: 30_000, minBytes: 16_384 },
  });
  // Node wants headersTimeout within requestTimeout.
  const short = serverLimits(config({ INGEST_FETCH_TIMEOUT: '2s' }), 1_024);
  assert.equal(short.headersTimeout, 7_000);
  assert.equal(short.connectionsCheckingInterval, 500);
  assert.equal(short.smallBodyPace.timeoutMs, 2_000);
  const set = serverLimits(config({ INGEST_MAX_CONNECTIONS: '50' }), 1_024);
  assert.equal(set.maxConnections, 50);
});
