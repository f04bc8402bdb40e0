/**
 * One `npm start` per INGEST_DATA_DIR. A second one on the same dir
 * (on other ports, after the first refused busy ones) ran a second
 * redis-server on the same append-only file, so the first stack's Redis,
 * once restarted, held the second's site and counters. The second must
 * refuse to start, naming the first, and leave nothing running; a claim
 * left by a start that is gone is taken over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '@ingest/testkit';
import { claimDataDir, releaseDataDir, stackLockFile } from '../../scripts/stack-lock';
import { assertRefusedPlainly, processesOf, startStack } from './stack-processes';


/** A process that passes for a running `npm start` (by its command line). */
function fakeStack() {
  const child = spawn(
    process.execPath,
    ['-e', 'setInterval(() => {}, 60_000)', 'scripts/start-stack.ts'],
    { stdio: 'ignore' },
  );
  return {
    pid: child.pid!,
    stop: () => {
      child.kill('SIGKILL');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

test('npm start on a data dir another npm start holds refuses to start', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-lock-'));
  const dataDir = path.join(dir, 'data');
  const holder = fakeStack();
  await claimDataDir(dataDir);
  await writeFile(stackLockFile(dataDir), `${holder.pid}\n`);
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
  });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(`in use by another npm start \\(pid ${holder.pid}\\)`),
    );
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
    const claim = await readFile(stackLockFile(dataDir), 'utf8');
    assert.equal(claim.trim(), String(holder.pid), 'the claim stays the holder\'s');
  } finally {
    await start.stop();
    await holder.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a claim whose npm start is gone, or whose pid went elsewhere, is taken over', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-lock-'));
  const dataDir = path.join(dir, 'data');
  const gone = fakeStack();
  await gone.stop();
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)']);
  try {
    for (const pid of [gone.pid, other.pid!]) {
      await claimDataDir(dataDir);
      await writeFile(stackLockFile(dataDir), `${pid}\n`);
      await claimDataDir(dataDir);
      const claim = await readFile(stackLockFile(dataDir), 'utf8');
      assert.equal(claim.trim(), String(process.pid));
      await releaseDataDir(dataDir);
    }
    await assert.rejects(readFile(stackLockFile(dataDir)), { code: 'ENOENT' });
  } finally {
    other.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
