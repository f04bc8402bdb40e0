import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  hostTag,
  isAlive,
  removeOwnWorkDir,
  sweepDeadWorkDirs,
  workDirOf,
} from './work-dirs';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-work-'));
after(() => rm(dataDir, { recursive: true, force: true }));

async function make(name: string) {
  await mkdir(path.join(dataDir, 'work', name), { recursive: true });
  await writeFile(path.join(dataDir, 'work', name, 'out.wav'), 'x');
}

test('isAlive tells a live pid from a finished one', () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(2 ** 22 + 12345), false);
});

test('only folders of dead transcoders are swept', async () => {
  await make('transcoder-101');
  await make('transcoder-202');
  await make(path.basename(workDirOf(dataDir)));
  await make('something-else');

  const swept = await sweepDeadWorkDirs(dataDir, {
    alive: (pid) => pid === 202 || pid === process.pid,
  });
  assert.deepEqual(swept, [101]);
  const left = (await readdir(path.join(dataDir, 'work'))).sort();
  assert.deepEqual(left, [
    'something-else',
    'transcoder-202',
    path.basename(workDirOf(dataDir)),
  ].sort());
});

test('at start a folder with our own pid is a leftover', async () => {
  const swept = await sweepDeadWorkDirs(dataDir, {
    alive: () => true,
    atStart: true,
  });
  assert.deepEqual(swept, [process.pid]);
});

test("another host's folders stay, whatever their pid", async () => {
  // Two containers sharing a data dir, each with its own pid numbers:
  // the other one's transcoder may well be our pid, or a pid dead here.
  await rm(path.join(dataDir, 'work'), { recursive: true, force: true });
  const theirs = workDirOf(dataDir, process.pid, 'other-host');
  const theirsDead = workDirOf(dataDir, 2 ** 22 + 12345, 'other-host');
  await make(path.basename(theirs));
  await make(path.basename(theirsDead));
  await make(path.basename(workDirOf(dataDir, 606, 'here')));

  const swept = await sweepDeadWorkDirs(dataDir, {
    atStart: true,
    alive: () => false,
    host: 'here',
  });
  assert.deepEqual(swept, [606]);
  assert.deepEqual(await readdir(theirs), ['out.wav']);
  assert.deepEqual(await readdir(theirsDead), ['out.wav']);
});

test('the host tag is safe in a folder name', () => {
  assert.equal(hostTag('pod-7f9c.example'), 'pod-7f9c.example');
  assert.equal(hostTag('a/b c'), 'a_b_c');
  assert.equal(hostTag(''), 'host');
  assert.match(path.basename(workDirOf('/d', 42, 'h')), /^transcoder-h-42$/);
});

test('a missing work root sweeps nothing', async () => {
  assert.deepEqual(await sweepDeadWorkDirs(path.join(dataDir, 'none')), []);
});

test('a clean stop removes its own work folder when empty, only then', async () => {
  const own = workDirOf(dataDir, 303);
  await mkdir(own, { recursive: true });
  assert.equal(await removeOwnWorkDir(dataDir, 303), true);
  await assert.rejects(readdir(own), { code: 'ENOENT' });

  // Never made: nothing to do.
  assert.equal(await removeOwnWorkDir(dataDir, 303), false);

  // Something left in it stays for a sweep; so do the others' folders.
  await make(path.basename(workDirOf(dataDir, 404)));
  await mkdir(workDirOf(dataDir, 505));
  assert.equal(await removeOwnWorkDir(dataDir, 404), false);
  assert.deepEqual(await readdir(workDirOf(dataDir, 404)), ['out.wav']);
  assert.deepEqual(await readdir(workDirOf(dataDir, 505)), []);
});
