import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { IngestApiError } from './ingest-api-error';
import { IngestNetworkError } from './ingest-network-error';
import { IngestClient } from './ingest-client';
import { DEFAULT_RETRY, retryDelay } from './retry-policy';
import { MAX_TIMER_MS } from './timer-limits';

/** checkJob calls answered so far: the job completes at the second. */
let polls = 0;

/** Answers by token: `ok` real-looking answers, others odd JSON. */
async function gateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const odd: Record<string, unknown> = {
      array: [],
      empty: {},
      badRow: { job_id: 1, state: 'open', tracks: [{ upload_id: 1 }] },
    };
    if (req.url?.startsWith('/api/tracks/download') && token === 'noBody') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.url?.startsWith('/api/tracks/download')) {
      // Promises 1000 bytes, sends 10, then the connection breaks.
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '1000' });
      res.write(Buffer.alloc(10));
      setImmediate(() => res.destroy());
      return;
    }
    polls += req.url === '/api/import/checkJob' ? 1 : 0;
    const state = polls >= 2 ? 'complete' : 'open';
    const body =
      token in odd
        ? odd[token]
        : { job_id: 1, state, q: 0, i: 0, d: 1, e: 0, tracks: [] };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  return listenOnLoopback(server);
}

describe('IngestClient against odd answers and odd limits', () => {
  let server: LoopbackServer;
  const client = (token: string, extra = {}) =>
    new IngestClient({ url: server.url, token, retry: { retries: 0 }, ...extra });

  before(async () => {
    server = await gateway();
  });

  after(() => server.close());

  it('throws invalid_answer for JSON that is not the answer of the call', async () => {
    const cases: Array<[string, RegExp]> = [
      ['array', /not a JSON object/],
      ['empty', /no job_id/],
      ['badRow', /no tracks\[0\]\.track_id/],
    ];
    for (const [token, message] of cases) {
      await assert.rejects(client(token).list(), (err: unknown) => {
        assert.ok(err instanceof IngestApiError, String(err));
        assert.equal(err.code, 'invalid_answer');
        assert.match(err.message, message);
        return true;
      });
    }
  });

  it('takes an Infinity time limit as no limit, not as one of 1 ms', async () => {
    polls = 0;
    const patient = client('ok', { timeoutMs: Infinity });

    const done = await patient.waitForJob(1, { timeoutMs: Infinity, intervalMs: 1 });

    assert.equal(done.state, 'complete');
    assert.equal(polls, 2);
  });

  it('refuses a time limit that is not a positive number', () => {
    for (const timeoutMs of [NaN, 0, -1]) {
      assert.throws(() => client('ok', { timeoutMs }), /timeoutMs must be a positive/);
    }
  });

  it('a download whose connection breaks midway is a network error', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-broken-download-'));
    try {
      await assert.rejects(
        client('ok').downloadTo(1, 'mp3', path.join(dir, 'x.mp3')),
        (err: unknown) => err instanceof IngestNetworkError,
      );
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a download answered without a body is invalid_answer', async () => {
    await assert.rejects(client('noBody').download(1, 'mp3'), (err: unknown) => {
      assert.ok(err instanceof IngestApiError, String(err));
      assert.equal(err.code, 'invalid_answer');
      return true;
    });
  });

  it('refuses a token no header can carry when made, not at every call', () => {
    const refused = /token holds characters a header cannot carry/;
    assert.throws(() => client('tok\nen'), refused);
    // Not a control character, yet no header can carry it either.
    assert.throws(() => client('tok€n'), refused);
    assert.doesNotThrow(() => client('tokén'));
  });

  it('never waits longer than a timer holds between retries', () => {
    const retry = { ...DEFAULT_RETRY, maxDelayMs: Infinity, jitter: 'none' as const };

    assert.equal(retryDelay(0, retry, 99_999_999_000), MAX_TIMER_MS);
  });
});
