import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

/** Two published tracks: a small rendition, then one of 256 KiB. */
const FILES = [Buffer.from('a small rendition'), Buffer.alloc(256 * 1024, 7)];
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function gateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/import/list') {
      const tracks = FILES.map((bytes, i) => ({
        upload_id: i + 1,
        track_id: i + 1,
        status: 'published',
        formats: ['mp3'],
        renditions: { mp3: { bytes: bytes.length, sha256: sha256(bytes) } },
      }));
      return json({ job_id: 1, state: 'complete', tracks });
    }
    if (url.pathname === '/api/tracks/getById') {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const id = Number(JSON.parse(text).track_id);
        json({ track: { track_id: id, meta: { Filename: `t${id}.wav` }, updates: [] } });
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    res.end(FILES[Number(url.searchParams.get('track_id')) - 1]);
  });
  return listenOnLoopback(server);
}

describe('ingest download when the disk refuses a write', () => {
  let server: LoopbackServer;
  let dir: string;

  before(async () => {
    server = await gateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-disk-full-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file, keeps what was saved in the answer, exits 1', async () => {
    const out = path.join(dir, 'tracks');
    const env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    // Writes past 64 KiB fail with EFBIG, as writes on a full disk do.
    const result = await runIngest(
      ['download', '--job', '1', '--out', out, '--json'],
      env,
      { fileSizeLimitKib: 64 },
    );

    assert.equal(result.code, 1, result.stderr);
    const body = jsonOf(result);
    assert.equal(body.code, 'local_error');
    assert.equal(body.errno, 'EFBIG');
    assert.ok(body.error.startsWith(`${path.join(out, 't2.mp3')}: `), body.error);
    assert.deepEqual(
      body.files.map((f: { file: string }) => f.file),
      [path.join(out, 't1.mp3')],
    );
    assert.deepEqual(await readdir(out), ['t1.mp3'], 'no .part left');
  });
});
