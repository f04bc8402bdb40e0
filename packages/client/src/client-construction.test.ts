import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { listenOnLoopback } from '@ingest/testkit';
import { IngestClient } from './index';

describe('new IngestClient', () => {
  it('refuses a base URL that is not an http(s) URL at once', () => {
    for (const url of ['127.0.0.1:8080', 'gateway', 'ftp://127.0.0.1/']) {
      assert.throws(() => new IngestClient({ url, token: 't' }), {
        name: 'TypeError',
        message: new RegExp(`IngestClient: url .*${url.replace(/[.]/g, '\\.')}`),
      });
    }
    assert.doesNotThrow(() => new IngestClient({ url: 'http://127.0.0.1:8080', token: 't' }));
  });

  it('refuses credentials, a query or a fragment in the URL, hiding a password', () => {
    // fetch refused every call to a URL with credentials, as a network
    // error retried for seconds, the password in each message.
    const cases = [
      ['http://ops:s3cret@127.0.0.1:8080', 'user name or password', 'http://ops:***@'],
      ['http://ops@127.0.0.1:8080', 'user name or password', 'http://ops@'],
      // The password ends at the last `@`; a `/` in one leaves no URL.
      ['http://ops:s3cret@s3cret@127.0.0.1:8080', 'user name or password', 'ops:***@127'],
      ['http://ops:s3cret/s3cret@127.0.0.1:8080', 'not a URL', 'http://ops:***@127'],
      ['https://example.com/ingest?x=1', 'query or fragment', '?x=1'],
      ['https://example.com/ingest#top', 'query or fragment', '#top'],
      // Empty, yet the base joined with `/` lost its path prefix all the same.
      ['https://example.com/ingest?', 'query or fragment', 'ingest?'],
      ['https://example.com/ingest#', 'query or fragment', 'ingest#'],
    ];
    for (const [url, problem, shown] of cases) {
      assert.throws(
        () => new IngestClient({ url, token: 't' }),
        (err: Error) =>
          err instanceof TypeError &&
          err.message.includes(problem) &&
          err.message.includes(shown) &&
          !err.message.includes('s3cret'),
        url,
      );
    }
  });

  it('sends its User-Agent: ingest-client/0.1, or the one it is given', async () => {
    const agents: (string | undefined)[] = [];
    const server = await listenOnLoopback(
      http.createServer((req, res) => {
        agents.push(req.headers['user-agent']);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'job 1 not found', code: 'not_found' }));
      }),
    );
    try {
      for (const userAgent of [undefined, 'catalog-sync/2.0']) {
        const client = new IngestClient({ url: server.url, token: 't', userAgent });
        await assert.rejects(client.checkJob(1), { code: 'not_found' });
      }
    } finally {
      await server.close();
    }
    assert.deepEqual(agents, ['ingest-client/0.1', 'catalog-sync/2.0']);
  });
});
