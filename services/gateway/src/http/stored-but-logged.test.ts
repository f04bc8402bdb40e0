/**
 * A call that stored what it was sent and then failed a later step
 * answers 500 "… was stored, but …" (autopublish-notes.ts). What failed
 * (a Redis script error, storage) was dropped there and the answer, an
 * ApiError, is not logged: an operator saw nothing of why. It is now
 * logged with the call's request id.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import express from 'express';
import { StateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import { listenOnLoopback, type LoopbackServer, redisForTests } from '@ingest/testkit';
import { noteOncomplete } from '../uploads/autopublish-notes';
import { endpoint } from './endpoint';

let server: LoopbackServer;
const own = redisForTests({ closeFirst: async () => server?.close() });
const token = 'stored-but-logged-token';
/** What the gateway logged at warn and above, as JSON text. */
const logged: string[] = [];

/** A logger that keeps its warnings and errors. */
function keepingLogger(): Logger {
  const keep = (...args: unknown[]) => {
    logged.push(JSON.stringify(args, (_key, value: unknown) =>
      value instanceof Error ? { message: value.message, cause: value.cause } : value,
    ));
  };
  const logger = {
    child: () => logger,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: keep,
    error: keep,
    fatal: keep,
  };
  return logger as unknown as Logger;
}

before(async () => {
  await own.started;
  const store = new StateStore(own.redis);
  await store.createSite({ name: 'test', token, webhookSecret: 'whsec_x' });
  const app = express();
  const deps = { store, logger: keepingLogger(), maxBodyBytes: 1 << 16 };
  app.post(
    '/upload',
    endpoint(deps, async () => {
      const full = {
        setOncomplete: async () =>
          Promise.reject(new Error('ERR Error running script (call to f_1): oops')),
      };
      await noteOncomplete(full, 4, 'https://example.test/hook', { upload_id: 9 });
      return { upload_id: 9 };
    }),
  );
  server = await listenOnLoopback(http.createServer(app));
});

after(async () => {
  await server?.close();
});

test("a 'was stored, but' answer logs what failed", async () => {
  const res = await fetch(`${server.url}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 500);
  const body = (await res.json()) as { error: string; upload_id: number };
  assert.match(body.error, /^upload 9 was stored, but the oncomplete of job 4/);
  assert.equal(body.upload_id, 9);
  assert.ok(
    logged.some((line) => line.includes('ERR Error running script')),
    `what failed is not logged: ${logged.join('\n')}`,
  );
});
