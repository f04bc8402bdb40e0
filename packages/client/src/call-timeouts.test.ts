import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import {
  IngestApiError,
  IngestClient,
  IngestNetworkError,
  JobTimeoutError,
} from './index';

/**
 * A loopback server that takes connections and then stalls: it never
 * answers `/api/import/*`, never reads an upload's body, and sends a
 * download's headers and first bytes, then nothing.
 */
async function stallingServer(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/tracks/download')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '1000' });
      res.write(Buffer.alloc(100));
      return;
    }
    if (req.url?.startsWith('/api/import/upload')) req.pause();
    if (req.url === '/api/import/list') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html>\n<p>Sign in to the Wi-Fi</p>');
    }
  });
  return listenOnLoopback(server);
}

const caught = (work: Promise<unknown>) => work.catch((err: unknown) => err);

describe('calls to a gateway that stalls', { timeout: 60_000 }, () => {
  let server: LoopbackServer;
  let dir: string;

  before(async () => {
    server = await stallingServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-stall-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (extra: Partial<ConstructorParameters<typeof IngestClient>[0]> = {}) =>
    new IngestClient({
      url: server.url,
      token: 't',
      retry: { retries: 1, baseDelayMs: 10 },
      ...extra,
    });

  // The server never answers: only the attempt's own timer, whose limit
  // the message names, can end these calls.
  it('gives up on an unanswered call after timeoutMs', async () => {
    const outcome = await caught(client({ timeoutMs: 300 }).checkJob(1));
    assert.ok(outcome instanceof IngestNetworkError, String(outcome));
    assert.match(outcome.message, /no answer within 300 ms/);
  });

  it('reports a 200 that is not JSON as an API error', async () => {
    const error = await client().list().catch((err: unknown) => err);
    assert.ok(error instanceof IngestApiError, String(error));
    assert.equal(error.code, 'invalid_answer');
    assert.equal(error.status, 200);
    assert.equal(
      error.message,
      'answer is not JSON: text/html; charset=utf-8, HTTP 200: ' +
        '<!doctype html> <p>Sign in to the Wi-Fi</p>',
    );
  });

  it('keeps the deadline of waitForJob with a call in flight', async () => {
    // The call in flight has the client's default limit, 30 s: a wait
    // that did not cut it short would end only then, with the same error.
    const started = Date.now();
    const outcome = await caught(
      client().waitForJob(1, { timeoutMs: 1_000, intervalMs: 100 }),
    );
    const ms = Date.now() - started;
    assert.ok(outcome instanceof JobTimeoutError, String(outcome));
    assert.ok(ms < 15_000, `a 1 s wait took ${ms} ms, as long as the call's 30 s`);
  });

  it('stops an upload that sends nothing for idleTimeoutMs', async () => {
    const blob = new Blob([Buffer.alloc(32 * 1024 * 1024)]);
    const outcome = await caught(
      client({ idleTimeoutMs: 500 }).upload({ file: blob, filename: 'a.wav' }),
    );
    assert.ok(outcome instanceof IngestNetworkError, String(outcome));
    // The idle limit, not the 30 s answer limit, ended it.
    assert.match(outcome.message, /no bytes sent within 500 ms/);
  });

  it('stops a download that stalls, leaving no partial file', async () => {
    const file = path.join(dir, 'song.mp3');
    const outcome = await caught(
      client({ idleTimeoutMs: 500 }).downloadTo(1, 'mp3', file),
    );
    assert.ok(outcome instanceof IngestNetworkError, String(outcome));
    assert.match(outcome.message, /no bytes received within 500 ms/);
    assert.deepEqual(await readdir(dir), []);
  });
});
