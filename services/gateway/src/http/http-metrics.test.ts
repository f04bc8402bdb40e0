import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '@ingest/telemetry';
import { listenOnLoopback } from '@ingest/testkit';
import { createApp, type AppDeps } from '../app';

test('probes and scrapes stay out of the request histogram', async () => {
  const registry = new Registry();
  // A draining gateway: /readyz answers 503, as it does in a rollout.
  // Answering these reads none of the route dependencies.
  const app = createApp({
    logger: createLogger('test', 'silent'),
    registry,
    ready: async () => true,
    draining: () => true,
  } as unknown as AppDeps);
  const server = await listenOnLoopback(http.createServer(app));
  try {
    const statuses: Record<string, number> = {};
    for (const path of ['/healthz', '/readyz', '/metrics', '/nope']) {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      statuses[path] = res.status;
    }
    assert.deepEqual(statuses, {
      '/healthz': 200,
      '/readyz': 503,
      '/metrics': 200,
      '/nope': 404,
    });

    const text = await registry.metrics();
    const counted = text
      .split('\n')
      .filter((line) => line.startsWith('ingest_http_request_duration_seconds_count'));
    assert.deepEqual(counted, [
      'ingest_http_request_duration_seconds_count' +
        '{method="GET",route="unmatched",status="404"} 1',
    ]);
  } finally {
    await server.close();
  }
});
