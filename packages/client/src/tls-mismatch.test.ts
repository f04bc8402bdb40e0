import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { listenOnLoopback } from '@ingest/testkit';
import { IngestClient, IngestNetworkError } from './index';

test('https:// on a plain-HTTP gateway says the server did not speak TLS', async () => {
  const server = await listenOnLoopback(
    http.createServer((_req, res) => res.end('{}')),
  );
  try {
    const client = new IngestClient({
      url: server.url.replace(/^http:/, 'https:'),
      token: 't',
      retry: { retries: 0 },
    });
    // A first user saw only OpenSSL's "wrong version number" here.
    await assert.rejects(client.checkJob(1), (err: unknown) => {
      assert.ok(err instanceof IngestNetworkError);
      assert.match(err.message, /the server did not speak TLS/);
      assert.match(err.message, /use an http:\/\/ URL in place of https:\/\//);
      return true;
    });
  } finally {
    await server.close();
  }
});
