import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { createLogger } from '@ingest/telemetry';
import {
  applyServerLimits,
  connectionCap,
  openFileLimit,
  serverLimits,
} from './server-limits';

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
    maxConnectionsPerClient: 192,
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
  assert.equal(set.maxConnectionsPerClient, 12);
  const perClient = serverLimits(config({ INGEST_MAX_CONNECTIONS_PER_CLIENT: '7' }), 1_024);
  assert.equal(perClient.maxConnectionsPerClient, 7);
});

test('answers before their bodies end leave nothing on a kept-alive socket', async () => {
  const limits = serverLimits(config(), 1_024);
  const server = http.createServer((_req, res) => res.end('ok'));
  applyServerLimits(server, limits, createLogger('test', 'silent'));
  let socket: net.Socket | undefined;
  let ended: Promise<unknown> = Promise.resolve();
  server.on('request', (req: http.IncomingMessage) => {
    socket = req.socket;
    // Before the limits' own listener: awaited, that one has run too.
    ended = once(req, 'end');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const answers = client.setEncoding('utf8')[Symbol.asyncIterator]();
  const closeListeners: number[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      // A GET with a body, answered before its body is sent.
      client.write('GET / HTTP/1.1\r\nHost: gateway\r\nContent-Length: 4\r\n\r\n');
      assert.match((await answers.next()).value, /^HTTP\/1\.1 200 /);
      client.write('body');
      await ended;
      closeListeners.push(socket!.listenerCount('close'));
    }
  } finally {
    client.destroy();
    server.close();
  }
  assert.equal(new Set(closeListeners.slice(1)).size, 1, String(closeListeners));
});
