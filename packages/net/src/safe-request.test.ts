import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import {
  installTripwire,
  type LoopbackServer,
  startServer,
  type Tripwire,
} from './loopback-server';
import { NetError } from './net-error';
import { safeRequest, type SafeRequestOptions } from './safe-request';

// The address rule is lifted here (allowPrivate) so the limits can be
// exercised against servers on 127.0.0.1.

const LOCAL: SafeRequestOptions = {
  timeoutMs: 2000,
  maxRedirects: 5,
  allowPrivate: true,
  errorPrefix: 'source could not be fetched',
};

let tripwire: Tripwire;
let server: LoopbackServer;
let other: LoopbackServer;
const seen: { method?: string; body: string; headers: object }[] = [];
const timers = new Set<NodeJS.Timeout>();

before(async () => {
  tripwire = installTripwire();
  server = await startServer(route);
  other = await startServer((req, res) => {
    seen.push({ method: req.method, body: '', headers: req.headers });
    res.end('other');
  });
});

after(async () => {
  for (const timer of timers) clearInterval(timer);
  await server.close();
  await other.close();
  tripwire.remove();
  assert.deepEqual(tripwire.tripped, []);
});

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const hops = url.pathname.match(/^\/chain\/(\d+)$/);

  if (hops) {
    const left = Number(hops[1]);
    if (left === 0) res.end('end of chain');
    // Relative locations, resolved against the hop that sent them.
    else res.writeHead(302, { location: `${left - 1}` }).end();
    return;
  }
  switch (url.pathname) {
    case '/ok':
      res.end('hello');
      return;
    case '/loop-a':
      res.writeHead(301, { location: '/loop-b' }).end();
      return;
    case '/loop-b':
      res.writeHead(307, { location: '/loop-a#again' }).end();
      return;
    case '/to-other':
      res.writeHead(302, { location: `${other.origin}/landed` }).end();
      return;
    case '/status':
      res.writeHead(Number(url.searchParams.get('code'))).end('said so');
      return;
    case '/endless':
      return endless(res);
    case '/announced-huge':
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
      return;
    case '/trickle':
      return trickle(res);
    case '/silent':
      return; // accepts the request and never answers
    case '/cut':
      res.writeHead(200, { 'content-length': '1000' });
      res.write('only a part');
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    case '/post':
      return echoPost(req, res);
    default:
      res.writeHead(404).end();
  }
}

let endlessClosed = 0;

function endless(res: ServerResponse): void {
  res.on('close', () => (endlessClosed += 1));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'audio/wav' });
  const timer = setInterval(() => res.write('.'), 200);
  timers.add(timer);
  res.on('close', () => {
    clearInterval(timer);
    timers.delete(timer);
  });
}

function echoPost(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    seen.push({ method: req.method, body, headers: req.headers });
    res.writeHead(302, { location: `${other.origin}/after-post` });
    res.end();
  });
}

/**
 * Waits until `done` holds, 5 s at most: a fixed sleep read the state
 * before the I/O it waited for whenever the test process was held up
 * that long (timers run before I/O when a loaded machine lets it go on).
 */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i += 1) await sleep(10);
}

async function assertFails(
  promise: Promise<unknown>,
  code: NetError['code'],
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NetError, `not a NetError: ${error}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('GET answers status, headers, body and the URL', async () => {
  const response = await safeRequest(`${server.origin}/ok`, LOCAL);
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-length'], '5');
  assert.equal(response.url, `${server.origin}/ok`);
  assert.equal(await text(response.body), 'hello');
});

test('follows up to maxRedirects and reports the final URL', async () => {
  const response = await safeRequest(`${server.origin}/chain/3`, {
    ...LOCAL,
    maxRedirects: 3,
  });
  assert.equal(response.status, 200);
  assert.equal(response.url, `${server.origin}/chain/0`);
  assert.equal(await text(response.body), 'end of chain');
});

test('refuses the redirect past the limit', async () => {
  await assertFails(
    safeRequest(`${server.origin}/chain/3`, { ...LOCAL, maxRedirects: 2 }),
    'too_many_redirects',
    /^source could not be fetched: redirect limit of 2 exceeded$/,
  );
  await assertFails(
    safeRequest(`${server.origin}/chain/1`, { ...LOCAL, maxRedirects: 0 }),
    'too_many_redirects',
    /redirect limit of 0 exceeded/,
  );
});

test('refuses a redirect loop', async () => {
  await assertFails(
    safeRequest(`${server.origin}/loop-a`, LOCAL),
    'redirect_loop',
    /lead back to a URL already visited/,
  );
});

test('credentials are not carried to another origin', async () => {
  seen.length = 0;
  const response = await safeRequest(`${server.origin}/to-other`, {
    ...LOCAL,
    headers: { Authorization: 'Bearer s3cret', 'X-Trace': 'abc' },
  });
  await text(response.body);
  assert.equal(response.url, `${other.origin}/landed`);
  const headers = seen[0]?.headers as Record<string, string>;
  assert.equal(headers.authorization, undefined);
  assert.equal(headers['x-trace'], 'abc');
});

test('POST is sent once and its redirect answered as is', async () => {
  seen.length = 0;
  const before = other.requests;
  const response = await safeRequest(`${server.origin}/post`, {
    ...LOCAL,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"type":"job.completed"}',
  });

  assert.equal(response.status, 302);
  assert.equal(response.headers.location, `${other.origin}/after-post`);
  response.body.resume();
  assert.equal(other.requests, before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].body, '{"type":"job.completed"}');
});

test('error statuses come back as data', async () => {
  for (const code of [404, 410, 500]) {
    const response = await safeRequest(
      `${server.origin}/status?code=${code}`,
      { ...LOCAL, method: code === 410 ? 'POST' : 'GET', body: '{}' },
    );
    assert.equal(response.status, code);
    assert.equal(await text(response.body), 'said so');
  }
});

test('an endless body errors once it passes maxBytes', async () => {
  const response = await safeRequest(`${server.origin}/endless`, {
    ...LOCAL,
    maxBytes: 1024 * 1024,
  });
  assert.equal(response.status, 200);

  let received = 0;
  await assertFails(
    (async () => {
      for await (const chunk of response.body) received += chunk.length;
    })(),
    'too_large',
    /response is larger than the limit of 1 MiB$/,
  );
  // Cut by the size limit ('too_large'), not by the 2 s deadline.
  assert.ok(received <= 1024 * 1024, `${received} bytes got through`);
});

test('destroying the body closes the connection', async () => {
  const before = endlessClosed;
  const response = await safeRequest(`${server.origin}/endless`, LOCAL);
  for await (const chunk of response.body) {
    assert.ok(chunk.length > 0);
    break; // leaving the loop destroys the body
  }
  await until(() => endlessClosed !== before);
  assert.equal(endlessClosed, before + 1);
});

test('an announced size over maxBytes is refused up front', async () => {
  await assertFails(
    safeRequest(`${server.origin}/announced-huge`, {
      ...LOCAL,
      maxBytes: 1024,
    }),
    'too_large',
    /limit of 1 KiB/,
  );
});

test('a trickling body errors when the deadline passes', async (t) => {
  // The exchange's clock is mocked, the server's trickle runs in real
  // time: the error comes when the clock says 1 s, neither before nor
  // after, on one clock from the request on (not one per step).
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const pending = safeRequest(`${server.origin}/trickle`, {
    ...LOCAL,
    timeoutMs: 1000,
  });
  t.mock.timers.tick(600); // before the answer's headers
  const response = await pending;
  assert.equal(response.status, 200);
  const failed = assertFails(
    text(response.body),
    'timeout',
    /^source could not be fetched: response not complete within 1 s$/,
  );

  const settle = () => new Promise((resolve) => setImmediate(resolve));
  try {
    t.mock.timers.tick(399);
    await settle();
    assert.equal(response.body.destroyed, false, 'cut before the deadline');
    t.mock.timers.tick(1);
    await settle();
    assert.equal(response.body.destroyed, true, 'not cut at the deadline');
  } finally {
    response.body.destroy();
  }
  await failed;
});

test('a server that never answers times out', async () => {
  await assertFails(
    safeRequest(`${server.origin}/silent`, { ...LOCAL, timeoutMs: 500 }),
    'timeout',
    /no answer within 0\.5 s$/,
  );
});

test('a body nobody reads is closed quietly at the deadline', async () => {
  const response = await safeRequest(`${server.origin}/trickle`, {
    ...LOCAL,
    timeoutMs: 400,
  });
  // No listener at all: the deadline must not crash the process.
  await until(() => response.body.destroyed);
  assert.equal(response.body.destroyed, true);
});

test('an ignored body over maxBytes does not crash the process', async () => {
  const response = await safeRequest(`${server.origin}/endless`, {
    ...LOCAL,
    maxBytes: 1000,
  });
  // No listener: data still flows in until the cap closes the body.
  await until(() => response.body.destroyed);
  assert.equal(response.body.destroyed, true);
});

test('a connection cut mid-body errors the body', async () => {
  const response = await safeRequest(`${server.origin}/cut`, LOCAL);
  await assertFails(
    text(response.body),
    'connect_failed',
    /broke before the response was complete/,
  );
});

test('a refused connection is connect_failed', async () => {
  const closed = await startServer(() => undefined);
  const url = `${closed.origin}/`;
  await closed.close();
  await assertFails(
    safeRequest(url, LOCAL),
    'connect_failed',
    /could not reach 127\.0\.0\.1: connection refused$/,
  );
});

test("the caller's signal aborts the exchange with its reason", async () => {
  const controller = new AbortController();
  const pending = safeRequest(`${server.origin}/silent`, {
    ...LOCAL,
    signal: controller.signal,
  });
  const reason = new Error('shutting down');
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(pending, (error) => error === reason);

  const aborted = AbortSignal.abort(reason);
  await assert.rejects(
    safeRequest(`${server.origin}/ok`, { ...LOCAL, signal: aborted }),
    (error) => error === reason,
  );
});

test('bad limits are a programming error, not a NetError', async () => {
  await assert.rejects(
    safeRequest(`${server.origin}/ok`, { ...LOCAL, timeoutMs: 0 }),
    RangeError,
  );
  await assert.rejects(
    safeRequest(`${server.origin}/ok`, { ...LOCAL, maxRedirects: -1 }),
    RangeError,
  );
});
