import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { before, test } from 'node:test';
import express from 'express';
import { ApiError } from '@ingest/core';
import { StateStore } from '@ingest/state';
import { createLogger } from '@ingest/telemetry';
import {
  listenOnLoopback,
  type LoopbackServer,
  redisForTests,
  waitUntil,
} from '@ingest/testkit';
import { endpoint } from './endpoint';

let server: LoopbackServer;
const own = redisForTests({ closeFirst: async () => server?.close() });
const token = 'endpoint-test-token';

/** What the routes' cleanup waits on before it ends; set per call. */
let cleanupGate: Promise<void> = Promise.resolve();
let cleanupsDone = 0;

before(async () => {
  await own.started;
  const store = new StateStore(own.redis);
  await store.createSite({ name: 'test', token, webhookSecret: 'whsec_x' });

  const deps = {
    store,
    logger: createLogger('test', 'silent'),
    maxBodyBytes: 1 << 16,
  };
  const cleanup = async () => {
    await cleanupGate;
    cleanupsDone += 1;
  };
  const app = express();
  app.post('/ok', endpoint(deps, async () => ({ ok: true }), { cleanup }));
  app.post(
    '/refused',
    endpoint(
      deps,
      async () => {
        throw new ApiError('not_found', 'nothing here');
      },
      { cleanup },
    ),
  );
  app.post(
    '/timed-out',
    endpoint(
      deps,
      async () => {
        // What ioredis throws past its commandTimeout.
        throw new Error('Command timed out');
      },
      { cleanup },
    ),
  );
  server = await listenOnLoopback(http.createServer(app));
});

// A client that sends its next upload the moment it has an answer must
// find the site's upload slot, which the cleanup frees, already free.
test('the answer goes out only once the cleanup has ended', async () => {
  for (const [route, status] of [
    ['/ok', 200],
    ['/refused', 404],
  ] as const) {
    let open!: () => void;
    cleanupGate = new Promise((resolve) => (open = resolve));
    const before = cleanupsDone;

    const answer = fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    try {
      const first = await Promise.race([
        answer.then(() => 'answered'),
        delay(300).then(() => 'still waiting'),
      ]);
      assert.equal(first, 'still waiting', `${route}: answered mid-cleanup`);
    } finally {
      open();
    }
    const res = await answer;
    assert.equal(res.status, status);
    assert.equal(cleanupsDone, before + 1);
  }
});

// Its cleanup asks the Redis that gave no answer, and would wait as long
// again (one timeout a step): 20-30 s before the client heard anything.
test('a call that waited out a Redis timeout answers before its cleanup ends', async () => {
  let open!: () => void;
  cleanupGate = new Promise((resolve) => (open = resolve));
  const before = cleanupsDone;
  try {
    const res = await fetch(`${server.url}/timed-out`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      // No answer before the cleanup ends fails the test, not hangs it.
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: string }).error, /Redis did not answer/);
    assert.equal(cleanupsDone, before, 'the cleanup ended first');
  } finally {
    open();
  }
  await waitUntil(() => cleanupsDone === before + 1);
});

test('a body of a type the API does not read is refused, not ignored', async () => {
  const post = (type: string, body: string) =>
    fetch(`${server.url}/ok`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
  const refused = await post('text/plain', 'meta[Colour]=zz');
  assert.equal(refused.status, 415);
  const body = (await refused.json()) as { code: string; error: string };
  assert.equal(body.code, 'unsupported_media_type');
  assert.match(body.error, /^a request body of type text\/plain is not read/);

  // No body at all, or only blanks, is no body to read.
  assert.equal((await post('text/plain', '')).status, 200);
  assert.equal((await post('application/octet-stream', ' \n')).status, 200);
  const form = await post('application/x-www-form-urlencoded', 'a=1');
  assert.equal(form.status, 200);
});

test('an X-Request-Id is taken only as visible ASCII', async () => {
  /** The X-Request-Id answered to one sent as these raw header bytes. */
  const answered = (id: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(`${server.url}/ok`, {
        method: 'POST',
        // Node writes a header's Latin-1 text as its bytes, unchanged.
        headers: { authorization: `Bearer ${token}`, 'x-request-id': id.toString('latin1') },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(String(res.headers['x-request-id']));
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await answered(Buffer.from('crm-sync-42')), 'crm-sync-42');
  const generated = /^[0-9a-f-]{36}$/;
  for (const id of ['café-夜', 'a\u0085b', 'a\u009fb', 'a b']) {
    const bytes = id.startsWith('café') ? Buffer.from(id) : Buffer.from(id, 'latin1');
    assert.match(await answered(bytes), generated, JSON.stringify(id));
  }
});
