import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { IngestApiError } from './ingest-api-error';
import { IngestClient } from './ingest-client';

/**
 * A 5xx that names what its call stored ("upload 5 was stored, but …")
 * is the call's last word: the SDK throws it at once rather than send
 * the call (and its file) again to be told the same, six times over.
 * A gateway stand-in on loopback answers by token: `partly` with such a
 * 500, `stalled` with such a 503, `busy` with a plain 503.
 */
const answers: Record<string, { status: number; body: object }> = {
  partly: {
    status: 500,
    body: {
      error: 'upload 5 was stored, but the oncomplete of job 2 could not be set',
      code: 'internal',
      upload_id: 5,
    },
  },
  stalled: {
    status: 503,
    body: {
      error: 'track update 7 was stored, but its transcode could not be queued',
      code: 'not_ready',
      update_id: 7,
    },
  },
  busy: { status: 503, body: { error: 'not ready', code: 'not_ready' } },
};

describe('a 5xx naming a stored upload is not retried', () => {
  let server: LoopbackServer;
  const requests: Record<string, number> = {};

  before(async () => {
    server = await listenOnLoopback(
      http.createServer((req, res) => {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        requests[token] = (requests[token] ?? 0) + 1;
        req.resume();
        req.on('end', () => {
          const { status, body } = answers[token];
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
      }),
    );
  });

  after(() => server.close());

  const failureOf = async (token: string) => {
    const client = new IngestClient({
      url: server.url,
      token,
      retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const error = await client
      .upload({ url: 'http://127.0.0.1:9/a.wav' }, { jobId: 2 })
      .catch((err: unknown) => err);
    assert.ok(error instanceof IngestApiError, String(error));
    return error;
  };

  it('a 500 naming the upload is thrown after one request', async () => {
    const error = await failureOf('partly');
    assert.equal(error.status, 500);
    assert.equal(error.body.upload_id, 5);
    assert.match(error.message, /^upload 5 was stored, but/);
    assert.equal(requests.partly, 1);
  });

  it('a 503 naming a track update is thrown after one request', async () => {
    const error = await failureOf('stalled');
    assert.equal(error.code, 'not_ready');
    assert.equal(error.body.update_id, 7);
    assert.equal(requests.stalled, 1);
  });

  it('a 503 naming nothing is still retried', async () => {
    const error = await failureOf('busy');
    assert.equal(error.code, 'not_ready');
    assert.equal(requests.busy, 4);
  });
});
