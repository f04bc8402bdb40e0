import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CliOutput } from './cli-output';
import { RetryNotes } from './retry-notes';

describe('retry notes', () => {
  it('says a wait once, and again only after a while', () => {
    const stderr = new PassThrough();
    let now = 0;
    const notes = new RetryNotes(new CliOutput(new PassThrough(), stderr, false), () => now);
    const busy = {
      endpoint: '/api/import/upload',
      retry: 1,
      delayMs: 2000,
      failure: { kind: 'status' as const, status: 429 },
    };
    notes.told(busy);
    now = 10_000;
    notes.told({ ...busy, retry: 2 });
    now = 40_000;
    notes.told({ ...busy, retry: 3 });
    notes.told({
      endpoint: '/api/import/checkJob',
      retry: 1,
      delayMs: 500,
      failure: { kind: 'network', error: new Error('fetch failed') },
    });
    const lines = String(stderr.read()).trim().split('\n');
    assert.deepEqual(lines, [
      'ingest: another upload of this site is in progress; waiting for the upload slot',
      'ingest: another upload of this site is in progress; waiting for the upload slot',
      'ingest: /api/import/checkJob: fetch failed; retrying',
    ]);
  });

  it('says why a connection failed, as the error the retries end in does', () => {
    const stderr = new PassThrough();
    const notes = new RetryNotes(new CliOutput(new PassThrough(), stderr, false));
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18081'), {
      code: 'ECONNREFUSED',
    });
    notes.told({
      endpoint: '/api/import/checkJob',
      retry: 1,
      delayMs: 500,
      failure: { kind: 'network', error: new TypeError('fetch failed', { cause: refused }) },
    });
    assert.equal(
      String(stderr.read()),
      'ingest: /api/import/checkJob: fetch failed: connect ECONNREFUSED ' +
        '127.0.0.1:18081; retrying\n',
    );
  });
});
