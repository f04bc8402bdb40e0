import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

const MP3 = Buffer.from('the first published rendition');
const SHA256 = createHash('sha256').update(MP3).digest('hex');

/**
 * A gateway whose job 1 is publishing with one of two tracks published,
 * and whose job 2 is publishing with none yet.
 */
async function gateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const jobId = /"job_id":\s*"?2/.test(body) || /job_id=2/.test(body) ? 2 : 1;
      if (req.url?.startsWith('/api/import/list')) {
        const queued = { upload_id: 2, track_id: null, status: 'queued', formats: ['mp3'] };
        const published = {
          upload_id: 1,
          track_id: 1,
          status: 'published',
          formats: ['mp3'],
          renditions: { mp3: { bytes: MP3.length, sha256: SHA256 } },
        };
        const tracks = jobId === 1 ? [published, queued] : [queued];
        return json({ job_id: jobId, state: 'publishing', tracks });
      }
      if (req.url?.startsWith('/api/tracks/getById')) {
        return json({ track: { track_id: 1, meta: { Filename: 'song.wav' }, updates: [] } });
      }
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(MP3);
    });
  });
  return listenOnLoopback(server);
}

describe('ingest download of a job still publishing', () => {
  let server: LoopbackServer;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    server = await gateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-publishing-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('saves what is published so far and exits 5', async () => {
    const out = path.join(dir, 'some');
    const result = await runIngest(['download', '--job', '1', '--out', out], env);

    assert.equal(result.code, 5, result.stderr);
    assert.deepEqual(await readFile(path.join(out, 'song.mp3')), MP3);
    assert.match(result.stderr, /job 1 is still publishing: .*\(exit 5\)/);
    assert.match(result.stdout, /1 file\(s\) saved to /);
  });

  it('says the state under --json', async () => {
    const out = path.join(dir, 'json');
    const result = await runIngest(
      ['download', '--job', '1', '--out', out, '--json'],
      env,
    );

    assert.equal(result.code, 5, result.stderr);
    const body = jsonOf(result);
    assert.equal(body.job_state, 'publishing');
    assert.equal(body.files.length, 1);
    assert.equal(body.code, undefined);
  });

  it('exits 5 with nothing published yet, and leaves no folder', async () => {
    const out = path.join(dir, 'none');
    const result = await runIngest(['download', '--job', '2', '--out', out], env);

    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stdout, /nothing saved/);
    await assert.rejects(stat(out), { code: 'ENOENT' });
  });
});
