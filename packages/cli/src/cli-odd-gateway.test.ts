import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { runIngest } from './testing/run-ingest';

/** When the odd gateway last got a publish call. */
let publishedAt = 0;

/**
 * Answers publish, then hangs on every checkJob (a gateway gone stuck);
 * answers list with an HTML page (a proxy's, say).
 */
async function oddGateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/import/publish') {
      publishedAt = Date.now();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: 'success', job_id: 7, queued: 1, oncomplete: null }));
    }
    if (req.url === '/api/import/list' && req.headers.authorization === 'Bearer html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Please sign in to the network</body></html>');
    } else if (req.url === '/api/import/list') {
      const tracks = Array.from({ length: 2000 }, (_, n) => ({
        upload_id: n + 1,
        track_id: null,
        status: 'queued',
        formats: ['mp3'],
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ job_id: 3, state: 'open', tracks }));
    }
  });
  return listenOnLoopback(server);
}

describe('ingest against a gateway that misbehaves', { timeout: 60_000 }, () => {
  let server: LoopbackServer;
  let env: Record<string, string>;

  before(async () => {
    server = await oddGateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
  });

  after(() => server.close());

  it('publish --wait --timeout 3 exits 4 after about 3 s', async () => {
    const result = await runIngest(['publish', '--wait', '--timeout', '3', '--json'], env);
    // Counted from the publish call: node and tsx take seconds to start
    // on a loaded machine. The wait is 3 s; a checkJob it did not cut
    // short would hold on for the SDK's 30 s and end with the same code,
    // so only the time tells them apart: well past 3 s, well short of 30.
    const ms = Date.now() - publishedAt;

    assert.equal(result.code, 4, result.stderr);
    assert.equal(JSON.parse(result.stdout).code, 'timeout');
    assert.ok(ms < 15_000, `took ${ms} ms, as long as the SDK's 30 s call limit`);
  });

  it('an answer that is not JSON is an API error (exit 2), not a crash', async () => {
    const result = await runIngest(['list', '--json'], { ...env, INGEST_TOKEN: 'html' });
    assert.equal(result.code, 2, result.stderr);
    assert.doesNotMatch(result.stderr, /SyntaxError|    at /);
    const body = JSON.parse(result.stdout);
    assert.equal(body.code, 'invalid_answer');
    assert.match(body.error, /answer is not JSON: text\/html, HTTP 200: <html>/);
  });

  it('exits quietly when the reader of stdout goes away (EPIPE)', async () => {
    const result = await runIngest(['list', '--job', '3'], env, { closeStdout: true });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });
});
