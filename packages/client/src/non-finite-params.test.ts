import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { IngestClient } from './index';

describe('a NaN or Infinity id', () => {
  let server: LoopbackServer;
  /** Request bodies the gateway got. */
  const received: string[] = [];
  let client: IngestClient;

  before(async () => {
    server = await listenOnLoopback(
      http.createServer((req, res) => {
        let text = '';
        req.on('data', (chunk) => (text += chunk));
        req.on('end', () => {
          received.push(text);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ job_id: 1, state: 'open', q: 0, i: 0, d: 0, e: 0 }));
        });
      }),
    );
    client = new IngestClient({ url: server.url, token: 't' });
  });

  after(() => server.close());

  it('is refused before sending, not sent as null (the main job)', async () => {
    // JSON wrote it as `"job_id": null`: the gateway took the main job.
    const calls = [
      () => client.publish({ jobId: Number('7x') }),
      () => client.checkJob(NaN),
      () => client.list(Infinity),
      () => client.upload({ url: 'http://127.0.0.1/a.wav' }, { jobId: NaN }),
      () => client.setMetadata(-Infinity, { Title: 'x' }),
    ];
    for (const call of calls) {
      await assert.rejects(call(), {
        name: 'TypeError',
        message: /^(job_id|upload_id) must be a finite number, not (NaN|-?Infinity)$/,
      });
    }
    assert.deepEqual(received, []);
  });
});
