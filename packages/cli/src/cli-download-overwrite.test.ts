import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

const MP3 = Buffer.from('the published rendition');
const SHA256 = createHash('sha256').update(MP3).digest('hex');
let downloads = 0;

/** A gateway with one published track, `song.wav`, in mp3 only. */
async function gateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/api/import/list') {
      const renditions = { mp3: { bytes: MP3.length, sha256: SHA256 } };
      const track = { upload_id: 1, track_id: 1, status: 'published', formats: ['mp3'] };
      return json({ job_id: 1, state: 'complete', tracks: [{ ...track, renditions }] });
    }
    if (req.url === '/api/tracks/getById') {
      return json({ track: { track_id: 1, meta: { Filename: 'song.wav' }, updates: [] } });
    }
    downloads++;
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    res.end(MP3);
  });
  return listenOnLoopback(server);
}

describe('ingest download into a folder that holds files already', () => {
  let server: LoopbackServer;
  let dir: string;
  let env: Record<string, string>;
  const download = (out: string, ...extra: string[]) =>
    runIngest(['download', '--job', '1', '--out', out, '--json', ...extra], env);

  before(async () => {
    server = await gateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-overwrite-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves a different file of the same name alone, names it, exits 1', async () => {
    const out = path.join(dir, 'originals');
    await mkdir(out);
    await writeFile(path.join(out, 'song.mp3'), 'my own master');

    const result = await download(out);

    assert.equal(result.code, 1, result.stderr);
    assert.equal(await readFile(path.join(out, 'song.mp3'), 'utf8'), 'my own master');
    const body = jsonOf(result);
    assert.deepEqual(body.not_overwritten, [
      { track_id: 1, format: 'mp3', file: path.join(out, 'song.mp3') },
    ]);
    assert.match(result.stderr, /song\.mp3: a different file is there; not overwritten/);
  });

  it('names a folder in the way as no file', async () => {
    const out = path.join(dir, 'folders');
    await mkdir(path.join(out, 'song.mp3'), { recursive: true });

    const result = await download(out);

    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /song\.mp3: a folder is there; --overwrite replaces files only/,
    );
  });

  it('refuses a folder in the way even with --overwrite, deleting nothing', async () => {
    const out = path.join(dir, 'folder-kept');
    const inTheWay = path.join(out, 'song.mp3');
    await mkdir(inTheWay, { recursive: true });
    await writeFile(path.join(inTheWay, 'inside.txt'), 'mine');

    const result = await download(out, '--overwrite');

    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(jsonOf(result).not_overwritten, [
      { track_id: 1, format: 'mp3', file: inTheWay },
    ]);
    const said = result.stderr.trim().split('\n');
    assert.deepEqual(said, [
      `ingest: ${inTheWay}: a folder is there; --overwrite replaces files only`,
    ]);
    assert.equal(await readFile(path.join(inTheWay, 'inside.txt'), 'utf8'), 'mine');
  });

  it('refuses an --out that is a file, by its path, and leaves it', async () => {
    const out = path.join(dir, 'a-file');
    await writeFile(out, 'not a folder');

    const result = await download(out);

    assert.equal(result.code, 1, result.stderr);
    const message = `--out ${out}: a file is there, not a folder`;
    assert.deepEqual(jsonOf(result), { error: message, code: 'usage' });
    assert.equal(result.stderr, `ingest: ${message}\n`);
    assert.equal(await readFile(out, 'utf8'), 'not a folder');
  });

  it('names the file when --out lies under one', async () => {
    const file = path.join(dir, 'a-file-above');
    await writeFile(file, 'not a folder');
    const out = path.join(file, 'tracks');

    const result = await download(out);

    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      jsonOf(result).error,
      `--out ${file}: a file is there, not a folder (in the way of ${out})`,
    );
    assert.equal(await readFile(file, 'utf8'), 'not a folder');
  });

  it('replaces it with --overwrite', async () => {
    const out = path.join(dir, 'originals');

    const result = await download(out, '--overwrite');

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await readFile(path.join(out, 'song.mp3')), MP3);
  });

  it('keeps a file that is the rendition already, without fetching it', async () => {
    const out = path.join(dir, 'again');
    await mkdir(out);
    await writeFile(path.join(out, 'song.mp3'), MP3);
    downloads = 0;

    const result = await download(out);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(downloads, 0);
    assert.equal(jsonOf(result).files[0].kept, true);

    // Told as such, not as a file saved.
    const plain = await runIngest(['download', '--job', '1', '--out', out], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^0 file\(s\) saved, 1 already there, in /m);
  });
});

describe('ingest download --overwrite over an entry that is no file', () => {
  let server: LoopbackServer;
  let dir: string;
  let env: Record<string, string>;
  const download = (out: string) =>
    runIngest(['download', '--job', '1', '--out', out, '--json', '--overwrite'], env);

  before(async () => {
    server = await gateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-overwrite-odd-'));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs a download into a folder of its own where `make` put song.mp3. */
  async function refused(name: string, make: (at: string) => Promise<unknown>) {
    const out = path.join(dir, name);
    await mkdir(out);
    const inTheWay = path.join(out, 'song.mp3');
    await make(inTheWay);
    const before = await lstat(inTheWay);

    const result = await download(out);

    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(jsonOf(result).not_overwritten, [
      { track_id: 1, format: 'mp3', file: inTheWay },
    ]);
    // Still the same entry, not a file put in its place.
    const after = await lstat(inTheWay);
    assert.equal(after.ino, before.ino);
    assert.equal(after.isFile(), false);
    return { inTheWay, said: result.stderr.trim().split('\n') };
  }

  const line = (file: string, what: string) =>
    `ingest: ${file}: ${what} is there; --overwrite replaces files only`;

  it('leaves a symbolic link and the file it leads to', async () => {
    const target = path.join(dir, 'target.mp3');
    await writeFile(target, 'the file the link leads to');

    const { inTheWay, said } = await refused('link', (at) => symlink(target, at));

    assert.deepEqual(said, [line(inTheWay, 'a symbolic link')]);
    assert.equal(await readlink(inTheWay), target);
    assert.equal(await readFile(target, 'utf8'), 'the file the link leads to');
  });

  it('leaves a dangling link', async () => {
    const missing = path.join(dir, 'nowhere.mp3');
    const { inTheWay, said } = await refused('dangling', (at) => symlink(missing, at));
    assert.deepEqual(said, [line(inTheWay, 'a symbolic link')]);
  });

  it('leaves a named pipe', async () => {
    const { inTheWay, said } = await refused('fifo', async (at) =>
      execFileSync('mkfifo', [at]),
    );
    assert.deepEqual(said, [line(inTheWay, 'a named pipe (FIFO)')]);
  });

  it('leaves a socket', async () => {
    const server = net.createServer();
    const { inTheWay, said } = await refused('socket', (at) =>
      new Promise<void>((resolve) => server.listen(at, resolve)),
    ).finally(() => server.close());
    assert.deepEqual(said, [line(inTheWay, 'a socket')]);
  });

  it('leaves a device', async (t) => {
    // mknod needs root (CAP_MKNOD); the others run as anyone.
    try {
      execFileSync('mknod', [path.join(dir, 'probe'), 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      t.skip('cannot make a device here (mknod needs root)');
      return;
    }
    const { inTheWay, said } = await refused('device', async (at) =>
      execFileSync('mknod', [at, 'c', '1', '3']),
    );
    assert.deepEqual(said, [line(inTheWay, 'a device')]);
  });
});
