import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectSources } from './source-collector';

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
});
