import http from 'node:http';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';

/** A gateway on loopback that takes every upload, and how many it took. */
export interface AcceptingGateway extends LoopbackServer {
  uploads(): number;
}

/**
 * Answers every request, once it has read all of it, as an upload
 * made: each gets the next upload id. A `list` (upload's look at the
 * job's waiting uploads) finds an open job with none.
 */
export async function acceptingGateway(): Promise<AcceptingGateway> {
  let taken = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/api/import/list')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ job_id: 1, state: 'open', tracks: [] }));
        return;
      }
      taken += 1;
      const answer = {
        upload_id: taken,
        status: 'uploaded',
        formats: ['mp3'],
        sources: ['wav'],
        meta: {},
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  const listening = await listenOnLoopback(server);
  return Object.assign(listening, { uploads: () => taken });
}
