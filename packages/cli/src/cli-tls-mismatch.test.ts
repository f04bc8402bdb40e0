/**
 * `ingest` given the wrong scheme for its gateway says which one to use,
 * either way round, rather than OpenSSL's "wrong version number" or a
 * bare "other side closed", and says it at once.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { httpsOnLoopback, listenOnLoopback } from '@ingest/testkit';
import { runIngest } from './testing/run-ingest';

const status = (url: string) =>
  runIngest(['status'], { INGEST_URL: url, INGEST_TOKEN: 't' });

test('https:// on a plain-HTTP gateway: use http://', async () => {
  const server = await listenOnLoopback(http.createServer((_req, res) => res.end('{}')));
  try {
    const run = await status(server.url.replace(/^http:/, 'https:'));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /use an http:\/\/ URL in place of https:\/\//);
    // Said at once: no retry mends the scheme.
    assert.doesNotMatch(run.stderr, /retrying/);
  } finally {
    await server.close();
  }
});

test('http:// on an HTTPS gateway: use https://', async () => {
  const server = await httpsOnLoopback();
  try {
    const run = await status(server.url);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /the server speaks TLS \(HTTPS\)/);
    assert.match(run.stderr, /use an https:\/\/ URL in place of http:\/\//);
    assert.doesNotMatch(run.stderr, /retrying/);
  } finally {
    await server.close();
  }
});
