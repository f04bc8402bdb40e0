/**
 * Refusals of `npm start` that come before it starts anything: a bad
 * setting threw a stack trace, and a machine without redis-server (the
 * README's one requirement beside Node) crashed on an unhandled spawn
 * error, leaving its claim on the data dir behind. Each must be one
 * plain line on stderr, exit 1, and leave nothing.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '@ingest/testkit';
import { stackLockFile } from '../../scripts/stack-lock';
import { assertRefusedPlainly, processesOf, startStack } from './stack-processes';

async function freePorts() {
  return {
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
  };
}

test('npm start with a bad setting names it in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...(await freePorts()),
    TRANSCODER_PORT: 'ninety',
  });
  try {
    await assertRefusedPlainly(start, /^invalid configuration: TRANSCODER_PORT: /);
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start without redis-server on the PATH says so in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  // A PATH with nothing on it: node itself is run by its full path.
  const emptyBin = path.join(dir, 'bin');
  await mkdir(emptyBin);
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    PATH: emptyBin,
    ...(await freePorts()),
  });
  try {
    await assertRefusedPlainly(
      start,
      /^redis-server is not on the PATH: install it .*, or set REDIS_URL/,
    );
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
    await assert.rejects(access(stackLockFile(dataDir)), { code: 'ENOENT' });
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
