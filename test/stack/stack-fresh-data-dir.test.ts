/**
 * What a first `npm start` stopped before its site leaves is removed,
 * and only that: a file of anyone else's keeps the data dir whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { removeFreshDataDir } from '../../scripts/stack-fresh-data-dir';

let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ingest-fresh-dir-'));
});

after(() => rm(tmp, { recursive: true, force: true }));

/** A data dir as a start leaves it once Redis and the services ran. */
async function halfMade(made: string) {
  const dataDir = path.join(made, 'inner', 'data');
  await mkdir(path.join(dataDir, 'redis', 'appendonlydir'), { recursive: true });
  await writeFile(path.join(dataDir, 'redis', 'appendonlydir', 'appendonly.aof.1.incr.aof'), '');
  await mkdir(path.join(dataDir, 'storage', '.tmp'), { recursive: true });
  await writeFile(path.join(dataDir, 'storage', 'catalog-id'), 'c0ffee\n');
  await mkdir(path.join(dataDir, 'outbox'));
  await writeFile(path.join(dataDir, 'stack.pid'), '12\n');
  await writeFile(path.join(dataDir, '.write-check-0e1f2a3b-4c5d'), '');
  return dataDir;
}

test('a data dir holding only what a start makes is removed, up to where it was made', async () => {
  const made = path.join(tmp, 'made-a');
  const dataDir = await halfMade(made);

  assert.equal(await removeFreshDataDir(dataDir, made), true);

  await assert.rejects(access(made), { code: 'ENOENT' });
  await access(tmp);
});

test('a file of anyone else\'s keeps it all', async () => {
  const made = path.join(tmp, 'made-b');
  const dataDir = await halfMade(made);
  await writeFile(path.join(dataDir, 'storage', 'notes.txt'), 'mine');
  const before = await readdir(dataDir, { recursive: true });

  assert.equal(await removeFreshDataDir(dataDir, made), false);

  assert.deepEqual(await readdir(dataDir, { recursive: true }), before);
});

test('a data dir another live npm start holds is kept whole', async () => {
  // Two first starts on one new path: the one that made it may lose the
  // claim to the other, and its stop found only a start's files there,
  // the other's stack.pid and the folder of its running Redis.
  const made = path.join(tmp, 'made-c');
  const dataDir = await halfMade(made);
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'start-stack']);
  after(() => holder.kill());
  await writeFile(path.join(dataDir, 'stack.pid'), `${holder.pid}\n`);
  const before = await readdir(dataDir, { recursive: true });

  assert.equal(await removeFreshDataDir(dataDir, made), false);

  assert.deepEqual(await readdir(dataDir, { recursive: true }), before);
});
