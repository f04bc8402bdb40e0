import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import express, { Router } from 'express';
import { Registry } from 'prom-client';
import { createLogger } from '@ingest/telemetry';
import { listenOnLoopback } from '@ingest/testkit';
import { createApp, type AppDeps } from './app';

/** The app on loopback with `dashboard` as its dashboard's router. */
function serve(dashboard: Router) {
  const app = createApp({
    logger: createLogger('test', 'silent'),
    registry: new Registry(),
    ready: async () => true,
    draining: () => false,
    dashboard: { path: '/admin/queues', router: dashboard },
  } as unknown as AppDeps);
  return listenOnLoopback(http.createServer(app));
}

test('an error no route answered is JSON, with no stack trace', async () => {
  const dashboard = Router();
  dashboard.get('/', () => {
    throw new URIError('URI malformed');
  });
  const server = await serve(dashboard);
  try {
    const res = await fetch(`${server.url}/admin/queues`);
    const text = await res.text();
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(text), { error: 'internal error', code: 'internal' });
    assert.doesNotMatch(text, /URIError|\.ts:/);
  } finally {
    await server.close();
  }
});

test('a client error a library raises (bad JSON, a bad escape) stays a 400', async () => {
  const dashboard = Router();
  dashboard.use(express.json());
  dashboard.post('/api/queues/:name/retry', (_req, res) => {
    res.json({ ok: true });
  });
  const server = await serve(dashboard);
  try {
    const post = (path: string, body: string) =>
      fetch(`${server.url}/admin/queues${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    for (const res of [
      await post('/api/queues/q/retry', '{"broken'),
      await post('/api/queues/%E0/retry', '{}'),
    ]) {
      const body = (await res.json()) as { code?: string };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.code, 'malformed_request');
    }
  } finally {
    await server.close();
  }
});

test('a path no endpoint has names where the API reference is', async () => {
  const server = await serve(Router());
  try {
    for (const path of ['/', '/api/import/%E2%80%A6']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), {
        error: 'no such endpoint; the API reference is at /docs (and /openapi.json)',
        code: 'not_found',
      });
    }
  } finally {
    await server.close();
  }
});
