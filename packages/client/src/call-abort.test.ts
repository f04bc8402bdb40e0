import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, waitUntil, type LoopbackServer } from '@ingest/testkit';
import { IngestClient } from './index';

/**
 * `signal` (README, "Cancelling") ends a call where it is: in the pause
 * before a retry, and in the middle of a download's body.
 */
describe('a call given an AbortSignal', { timeout: 60_000 }, () => {
  let server: LoopbackServer;
  let dir: string;
  let lists = 0;
  /** Aborted where each test needs it: at a retry, mid-download. */
  let controller = new AbortController();

  before(async () => {
    server = await listenOnLoopback(
      http.createServer((req, res) => {
        if (req.url?.startsWith('/api/tracks/download')) {
          res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '1000' });
          // The first bytes, then nothing: the body is never whole.
          res.write(Buffer.alloc(100));
          return;
        }
        lists += 1;
        // Busy for an hour: the client below waits that long to try again.
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '3600' });
        res.end(JSON.stringify({ error: 'busy', code: 'not_ready' }));
      }),
    );
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-abort-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  // A pause before a retry that an abort did not end would outlast the
  // test's own timeout.
  // Told just before the pause: the abort comes while the client waits.
  const client = () =>
    new IngestClient({
      url: server.url,
      token: 't',
      retry: { baseDelayMs: 3_600_000, maxDelayMs: 3_600_000, jitter: 'none' },
      onRetry: () => controller.abort(new Error('stop')),
    });

  it('ends in the pause before a retry, trying no more', async () => {
    controller = new AbortController();
    const err = await client()
      .list(1, { signal: controller.signal })
      .catch((e: unknown) => e);

    assert.ok(err instanceof Error, String(err));
    assert.match(`${err.name} ${err.message} ${String(err.cause)}`, /stop|abort/i);
    assert.equal(lists, 1, 'no retry after the abort');
  });

  it('ends a download mid-body and leaves no file', async () => {
    controller = new AbortController();
    const file = path.join(dir, 'track.mp3');
    const download = client()
      .downloadTo(1, 'mp3', file, { signal: controller.signal })
      .catch((e: unknown) => e);
    // Under way: its temp file holds the first bytes.
    await waitUntil(async () => (await readdir(dir)).length > 0, {
      message: 'the download never began writing',
    });
    controller.abort(new Error('stop'));

    const err = await download;
    assert.ok(err instanceof Error, String(err));
    assert.deepEqual(await readdir(dir), []);
  });
});
