import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { adminAuth } from './admin-auth';

const TOKEN = 'admin-token-for-the-auth-test';
const ROOT = '/admin/queues';

let server: http.Server;
let port: number;

before(async () => {
  const app = express();
  app.use(ROOT, adminAuth(TOKEN, ROOT), (_req, res) => {
    res.json({ shown: true });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise((resolve) => server.close(resolve)));

/** A GET of `path` exactly as written: fetch would resolve its dots. */
function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
  });
}

test('a token in the query is traded for a cookie and a redirect', async () => {
  const res = await rawGet(`${ROOT}/api/queues?token=${TOKEN}&page=2`);
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, `${ROOT}/api/queues?page=2`);
  const cookie = res.headers['set-cookie']?.[0] ?? '';
  assert.match(cookie, /^ingest_admin=/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.ok(!cookie.includes(TOKEN), 'the cookie is not the token');

  const value = cookie.split(';')[0];
  const back = await rawGet(`${ROOT}/api/queues`, { cookie: value });
  assert.equal(back.statusCode, 200);
});

test('the cookie is Secure when a proxy says the browser came by HTTPS', async () => {
  const plain = await rawGet(`${ROOT}?token=${TOKEN}`);
  assert.doesNotMatch(plain.headers['set-cookie']?.[0] ?? '', /Secure/);

  const proxied = await rawGet(`${ROOT}?token=${TOKEN}`, {
    'X-Forwarded-Proto': 'HTTPS, http',
  });
  assert.match(proxied.headers['set-cookie']?.[0] ?? '', /; Secure/);
});

test('the redirect never leaves the dashboard for another host', async () => {
  // Express matches the raw path; resolved, it names `//elsewhere`.
  for (const path of [
    `${ROOT}/../..//elsewhere.example/x?token=${TOKEN}`,
    `${ROOT}/%2e%2e/%2e%2e//elsewhere.example?token=${TOKEN}`,
  ]) {
    const res = await rawGet(path);
    assert.equal(res.statusCode, 303, path);
    const location = res.headers.location ?? '';
    assert.ok(
      location === ROOT || location.startsWith(`${ROOT}/`),
      `${path} redirected to ${location}`,
    );
  }
});

test('no token or a wrong one gets 401', async () => {
  const tries: Record<string, string>[] = [
    {},
    { authorization: 'Bearer not-the-admin-token-at-all' },
    { cookie: 'ingest_admin=forged' },
  ];
  for (const headers of tries) {
    const res = await rawGet(`${ROOT}/api/queues`, headers);
    assert.equal(res.statusCode, 401, JSON.stringify(headers));
  }
  const wrong = await rawGet(`${ROOT}/?token=not-the-admin-token-at-all`);
  assert.equal(wrong.statusCode, 401);
});

test('a cookie with broken percent escapes is refused, not an error', async () => {
  for (const cookie of ['ingest_admin=%E0%A4%A', 'ingest_admin=%', 'x=1; ingest_admin=%zz']) {
    const res = await rawGet(`${ROOT}/api/queues`, { cookie });
    assert.equal(res.statusCode, 401, cookie);
  }
});
