import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'packages/cli/bin/ingest.js');

/** Answers publish, then hangs on every checkJob: a gateway gone stuck. */
async function stuckAfterPublish(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/import/publish') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: 'success', job_id: 7, queued: 1, oncomplete: null }));
    }
  });
  return listenOnLoopback(server);
}

describe('ingest against a gateway that hangs', { timeout: 60_000 }, () => {
  let server: LoopbackServer;

  before(async () => {
    server = await stuckAfterPublish();
  });

  after(() => server.close());

  it('publish --wait --timeout 3 exits 4 after about 3 s', async () => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [BIN, 'publish', '--wait', '--timeout', '3', '--json'],
      {
        cwd: ROOT,
        env: { ...process.env, INGEST_URL: server.url, INGEST_TOKEN: 't' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    const ms = Date.now() - started;

    assert.equal(code, 4);
    assert.equal(JSON.parse(stdout).code, 'timeout');
    // Node and tsx start in about a second; the wait itself is 3 s.
    assert.ok(ms < 8_000, `took ${ms} ms`);
  });
});
