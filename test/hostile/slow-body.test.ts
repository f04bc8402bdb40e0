/**
 * Hostile: clients that trickle a small body. A JSON or form body, or
 * the fields of a multipart one, came with INGEST_FETCH_TIMEOUT (minutes)
 * to arrive, as a file does, so a client with no token held its
 * connection that long for a byte now and then; and a body left unread
 * by an answer (a GET with a body) was read for as long as it came.
 * Both must keep 16 KiB in every 30 s (and 2 min in all): a trickled one
 * is cut with 408 `request_timeout`, or its connection closed, within
 * about 30 s; an honest slow one is not.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { TestStack, waitUntil, type TestSite } from '@ingest/testkit';

let stack: TestStack;
let site: TestSite;

before(async () => {
  // INGEST_FETCH_TIMEOUT at its default, 10 min.
  stack = await TestStack.start({ transcoders: 0 });
  site = await stack.createSite();
});

after(() => stack?.close());

/** A raw connection to the gateway that keeps what it is answered. */
function connect() {
  const { port } = new URL(stack.gatewayUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  const started = Date.now();
  let answer = '';
  let closedAfterMs: number | undefined;
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  socket.on('error', () => {});
  socket.on('close', () => (closedAfterMs = Date.now() - started));
  return {
    socket,
    answer: () => answer,
    closedAfterMs: () => closedAfterMs,
  };
}

/** Writes `text` a byte at a time, one a second, until the socket closes. */
function trickle(socket: net.Socket, text: string) {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return;
    socket.write(text[at++]);
  }, 1_000);
  socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

function post(path: string, type: string, length: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${length}\r\n\r\n`
  );
}

test('small bodies trickled are cut within about 30 s; an honest slow one is not', async () => {
  const body = `{"token":"${'x'.repeat(40)}"}`;
  const json = connect();
  json.socket.write(post('/api/import/createJob', 'application/json', body.length));
  const form = connect();
  const pairs = `token=${'y'.repeat(40)}&name=slow`;
  form.socket.write(
    post('/api/import/createJob', 'application/x-www-form-urlencoded', pairs.length),
  );
  // A multipart form without a file: its fields are a small body too.
  const boundary = 'slow-body-boundary';
  const parts =
    `--${boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n` +
    `${'w'.repeat(40)}\r\n--${boundary}--\r\n`;
  const multipart = connect();
  multipart.socket.write(
    post(
      '/api/import/createJob',
      `multipart/form-data; boundary=${boundary}`,
      parts.length,
    ),
  );
  // Answered before its body is read: the rest must still keep pace.
  const unread = connect();
  unread.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\nContent-Length: 4096\r\n\r\n');

  // 240 KiB of JSON at about 8 KiB/s: 30 s, a slow link's pace.
  const padded = `{"token":"${site.token}",${' '.repeat(240 * 1024)}"name":"slow link"}`;
  const honest = connect();
  honest.socket.write(post('/api/import/createJob', 'application/json', padded.length));
  let sent = 0;
  const feed = setInterval(() => {
    honest.socket.write(padded.slice(sent, sent + 2048));
    sent += 2048;
    if (sent >= padded.length) clearInterval(feed);
  }, 250);

  const stops = [
    trickle(json.socket, body),
    trickle(form.socket, pairs),
    trickle(multipart.socket, parts),
  ];
  stops.push(trickle(unread.socket, 'z'.repeat(4096)));
  const all = [json, form, multipart, unread, honest];
  try {
    for (const [name, cut] of Object.entries({ json, form, multipart })) {
      // Without a cut, they would be read for 10 min. The message says
      // which rule cut it: the first 30 s window (the 2 min limit in all
      // says 'did not arrive'), so the wait itself need not be tight.
      await waitUntil(() => cut.closedAfterMs() !== undefined, {
        timeoutMs: 100_000,
        intervalMs: 250,
        message: () => `${name} not cut; answered ${cut.answer() || 'nothing'}`,
      });
      assert.match(cut.answer(), /^HTTP\/1\.1 408 /);
      assert.match(cut.answer(), /\r\nConnection: close\r\n/i);
      assert.match(cut.answer(), /"code":"request_timeout"/);
      assert.match(
        cut.answer(),
        /"error":"the request body came too slowly: under 16 KiB in 30 s"/,
      );
    }
    await waitUntil(() => unread.closedAfterMs() !== undefined, {
      timeoutMs: 100_000,
      message: 'an unread body kept its connection',
    });
    assert.match(unread.answer(), /^HTTP\/1\.1 200 /);

    await waitUntil(() => /\r\n\r\n\{.*\}$/.test(honest.answer()), {
      timeoutMs: 60_000,
      message: () => `the honest client got ${honest.answer() || 'nothing'}`,
    });
    assert.match(honest.answer(), /^HTTP\/1\.1 200 /);
    assert.match(honest.answer(), /"job_id":\d+/);
    assert.equal(honest.closedAfterMs(), undefined);
  } finally {
    clearInterval(feed);
    for (const stop of stops) stop();
    for (const c of all) c.socket.destroy();
  }
});
