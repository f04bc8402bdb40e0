import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { answerClientErrors } from './client-error';

let server: http.Server;
let port: number;

before(async () => {
  // Reads the whole body before it answers, as endpoints do.
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': 2 }).end('{}');
    });
  });
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends raw bytes and reads the whole answer, as a status and body. */
function exchange(raw: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head, body });
    });
    socket.end(raw);
  });
}

test('a request that is not HTTP gets a JSON error, not a bare 400', async () => {
  for (const raw of [
    'FOO /api/import/checkJob HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /api/import/checkJob HTTP/1.1\r\nBad Header: x\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ]) {
    const answer = await exchange(raw);
    assert.equal(answer.status, 400, `${raw}\n${answer.head}`);
    assert.match(answer.head, /content-type: application\/json/i);
    const body = JSON.parse(answer.body);
    assert.equal(body.code, 'malformed_request', raw);
    assert.match(body.error, /^the request is not valid HTTP \(HPE_[A-Z_]+\)$/);
  }
});

test('headers past the limit answer 431 with a JSON error', async () => {
  const token = 'a'.repeat(http.maxHeaderSize + 1);
  const answer = await exchange(`GET /?token=${token} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.equal(answer.status, 431);
  assert.deepEqual(JSON.parse(answer.body), {
    error:
      `the request line and headers exceed ${http.maxHeaderSize} bytes; ` +
      'send long values (token, meta) in the body',
    code: 'headers_too_large',
  });
});

test('an Expect it cannot meet answers 417 with a JSON error', async () => {
  const answer = await exchange(
    'POST /api/import/checkJob HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n' +
      'Content-Length: 2\r\n\r\n{}',
  );
  assert.equal(answer.status, 417);
  assert.match(answer.head, /content-type: application\/json/i);
  assert.deepEqual(JSON.parse(answer.body), {
    error: 'Expect: 200-ok cannot be met; send Expect: 100-continue or none',
    code: 'expectation_failed',
  });
});

test('a good request on the same server is answered as ever', async () => {
  const answer = await exchange('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, '{}');
});
