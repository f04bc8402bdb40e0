import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { httpsOnLoopback, listenOnLoopback } from '@ingest/testkit';
import { IngestClient, IngestNetworkError } from './index';

/** `checkJob` of a client of `url`, expected to fail on the network. */
async function networkFailure(url: string, retries = 0): Promise<IngestNetworkError> {
  const client = new IngestClient({ url, token: 't', retry: { retries, baseDelayMs: 1 } });
  return client.checkJob(1).then(
    () => assert.fail('answered'),
    (err: unknown) => {
      assert.ok(err instanceof IngestNetworkError, String(err));
      return err;
    },
  );
}

test('https:// on a plain-HTTP gateway says the server did not speak TLS, once', async () => {
  const plain = http.createServer((_req, res) => res.end('{}'));
  let connections = 0;
  plain.on('connection', () => (connections += 1));
  const server = await listenOnLoopback(plain);
  try {
    // A first user saw only OpenSSL's "wrong version number" here.
    const err = await networkFailure(server.url.replace(/^http:/, 'https:'), 3);
    assert.match(err.message, /the server did not speak TLS/);
    assert.match(err.message, /use an http:\/\/ URL in place of https:\/\//);
    // No retry: the scheme stays wrong.
    assert.equal(connections, 1);
  } finally {
    await server.close();
  }
});

test('http:// on an HTTPS gateway says the server speaks TLS, and is not retried', async () => {
  const server = await httpsOnLoopback();
  try {
    const err = await networkFailure(server.url, 3);
    assert.match(err.message, /the server speaks TLS \(HTTPS\)/);
    assert.match(err.message, /use an https:\/\/ URL in place of http:\/\//);
    // Node's HTTPS server closes a plain-HTTP request without a word.
    assert.equal(server.plainRequests(), 1);
  } finally {
    await server.close();
  }
});

test('a plain server that drops connections is not taken for a TLS one', async () => {
  const dropping = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
  const { port } = dropping.address() as AddressInfo;
  try {
    const err = await networkFailure(`http://127.0.0.1:${port}`);
    assert.doesNotMatch(err.message, /TLS/);
  } finally {
    await new Promise((resolve) => dropping.close(resolve));
  }
});
