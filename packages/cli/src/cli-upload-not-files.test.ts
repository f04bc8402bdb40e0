import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acceptingGateway, type AcceptingGateway } from './testing/accepting-gateway';
import { jsonOf, runIngest } from './testing/run-ingest';

describe('ingest upload of a folder holding entries that are no file', () => {
  let server: AcceptingGateway;
  let dir: string;
  let album: string;
  let env: Record<string, string>;

  before(async () => {
    server = await acceptingGateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-not-files-'));
    album = path.join(dir, 'album');
    await mkdir(path.join(dir, 'masters'));
    await mkdir(album);
    await writeFile(path.join(album, 'song.wav'), 'not really audio');
    await symlink('missing.wav', path.join(album, 'gone.wav'));
    await symlink('../masters', path.join(album, 'masters'));
    execFileSync('mkfifo', [path.join(album, 'pipe.wav')]);
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists them under --json and sends the rest', async () => {
    const result = await runIngest(['upload', album, '--json'], env);

    assert.equal(result.code, 0, result.stderr);
    const body = jsonOf(result);
    assert.equal(body.uploads.length, 1);
    assert.deepEqual(body.not_files, {
      dangling_links: [path.join(album, 'gone.wav')],
      folder_links: [path.join(album, 'masters')],
      fifos: [path.join(album, 'pipe.wav')],
      sockets: [],
      devices: [],
    });
  });

  it('says so on stderr, one line per kind', async () => {
    const result = await runIngest(['upload', album], env);

    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.deepEqual(lines, [
      'ingest: dangling links (target missing, or a loop): 1 in folders left out ' +
        `(${path.join(album, 'gone.wav')})`,
      'ingest: links to folders, not followed: 1 in folders left out ' +
        `(${path.join(album, 'masters')}); name one on the command line to walk it`,
      `ingest: named pipes (FIFOs): 1 in folders left out (${path.join(album, 'pipe.wav')})`,
    ]);
  });

  it('shows a line break in a file name as \\n, so it cannot fake a line', async () => {
    const evil = path.join(dir, 'evil\nuploaded fake.wav -> upload 9 [mp3]\t.wav');
    await writeFile(evil, 'not really audio');
    const result = await runIngest(['upload', evil], env);

    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, result.stdout);
    const shown = /^uploaded \S*evil\\nuploaded fake\.wav -> upload 9 \[mp3\]\\t\.wav -> /;
    assert.match(lines[0], shown);

    const json = await runIngest(['upload', evil, '--json'], env);
    assert.equal(jsonOf(json).uploads[0].source, evil);
  });
});
