import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectSources, describeNotFiles } from './source-collector';

describe('collectSources walking a folder', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-sources-'));
    await mkdir(path.join(dir, 'masters'));
    await mkdir(path.join(dir, 'album'));
    await writeFile(path.join(dir, 'masters', 'one.wav'), 'not really audio');
    await symlink('../masters/one.wav', path.join(dir, 'album', 'linked.wav'));
    await symlink('../masters', path.join(dir, 'album', 'loop'));
    await symlink('..', path.join(dir, 'album', 'parent'));
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('takes a link to an audio file as that file, follows no folder link', async () => {
    const { items, ignored } = await collectSources([path.join(dir, 'album')]);

    assert.deepEqual(
      items.map((i) => i.name),
      ['linked.wav'],
    );
    assert.equal(ignored.count, 0);
  });

  it('says why a path named cannot be taken, not always "no such file"', async () => {
    const loop = path.join(dir, 'loop-a');
    await symlink('loop-b', loop);
    await symlink('loop-a', path.join(dir, 'loop-b'));
    const underFile = path.join(dir, 'masters', 'one.wav', 'x.wav');
    const cases = [
      [loop, 'a link loop, leading to no file or folder (ELOOP)'],
      [underFile, 'a part of the path is a file, not a folder (ENOTDIR)'],
      [path.join(dir, 'gone.wav'), 'no such file or folder'],
    ];
    for (const [named, why] of cases) {
      await assert.rejects(collectSources([named]), { message: `${why}: ${named}` });
    }
  });
});

describe('collectSources taking every container the gateway accepts', () => {
  let dir: string;
  // One name per extension the README's list of accepted containers gives.
  const names = [
    'a.mp3', 'a.mp2', 'a.wav', 'a.rf64', 'a.w64', 'a.aiff', 'a.aifc', 'a.flac',
    'a.ogg', 'a.opus', 'a.m4a', 'a.aac', 'a.caf', 'a.wv', 'a.ape', 'a.tta',
    'a.au', 'a.amr', 'a.mka', 'a.webm', 'a.wma', 'a.ac3', 'a.eac3', 'a.ec3',
    'a.dts', 'a.dtshd', 'a.thd', 'a.truehd', 'a.mlp', 'a.dsf', 'a.dff',
  ];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-kinds-'));
    for (const name of [...names, 'notes.txt']) {
      await writeFile(path.join(dir, name.toUpperCase()), 'bytes');
    }
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('sends each of them from a folder, in any case, and leaves the rest', async () => {
    const { items, ignored } = await collectSources([dir]);

    assert.deepEqual(
      items.map((i) => i.name.toLowerCase()).sort(),
      [...names].sort(),
    );
    assert.equal(ignored.count, 1);
  });
});

describe('collectSources meeting entries that are no file', () => {
  let dir: string;
  let odd: string;
  let socketServer: net.Server;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-odd-'));
    odd = path.join(dir, 'odd');
    await mkdir(path.join(dir, 'masters'));
    await mkdir(odd);
    await writeFile(path.join(odd, 'real.wav'), 'not really audio');
    await symlink('gone.wav', path.join(odd, 'dangling.wav'));
    await symlink('looped.wav', path.join(odd, 'looped.wav'));
    await symlink('../masters', path.join(odd, 'masters-link'));
    execFileSync('mkfifo', [path.join(odd, 'pipe.wav')]);
    // A device without root: a link to one is taken as what it leads to.
    await symlink('/dev/null', path.join(odd, 'null.wav'));
    socketServer = net.createServer();
    await new Promise<void>((resolve) =>
      socketServer.listen(path.join(odd, 'sock.wav'), resolve),
    );
  });

  after(async () => {
    await new Promise((resolve) => socketServer.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('lists each kind by path and takes only the file', async () => {
    const { items, notFiles } = await collectSources([odd]);

    assert.deepEqual(
      items.map((i) => i.name),
      ['real.wav'],
    );
    const at = (name: string) => path.join(odd, name);
    assert.deepEqual(notFiles, {
      dangling_links: [at('dangling.wav'), at('looped.wav')],
      folder_links: [at('masters-link')],
      fifos: [at('pipe.wav')],
      sockets: [at('sock.wav')],
      devices: [at('null.wav')],
    });
  });

  it('says one line per kind, with a count and the first few paths', async () => {
    const { notFiles } = await collectSources([odd]);
    notFiles.fifos.push('a', 'b', 'c');

    assert.deepEqual(describeNotFiles(notFiles), [
      `dangling links (target missing, or a loop): 2 in folders left out ` +
        `(${path.join(odd, 'dangling.wav')}, ${path.join(odd, 'looped.wav')})`,
      `links to folders, not followed: 1 in folders left out ` +
        `(${path.join(odd, 'masters-link')}); name one on the command line to walk it`,
      `named pipes (FIFOs): 4 in folders left out (${path.join(odd, 'pipe.wav')}, a, b, …)`,
      `sockets: 1 in folders left out (${path.join(odd, 'sock.wav')})`,
      `devices: 1 in folders left out (${path.join(odd, 'null.wav')})`,
    ]);
  });

  it('takes an entry named on the command line as given', async () => {
    const pipe = path.join(odd, 'pipe.wav');

    const { items, notFiles } = await collectSources([pipe]);

    assert.deepEqual(items, [{ kind: 'file', path: pipe, name: 'pipe.wav' }]);
    assert.deepEqual(notFiles.fifos, []);
  });
});
