/**
 * `npm start` with HOST set to one address: its services listen there
 * only, so it must ask their /readyz there. It asked 127.0.0.1 whatever
 * HOST said, and a stack on ::1 (or on a LAN address) was never ready.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, reachableHost } from '@ingest/testkit';
import { bannerLine, processesOf, startStack } from './stack-processes';

test('a listening address is reached where it listens', () => {
  assert.equal(reachableHost(undefined), '127.0.0.1');
  assert.equal(reachableHost('0.0.0.0'), '127.0.0.1');
  assert.equal(reachableHost('::'), '127.0.0.1');
  assert.equal(reachableHost('::1'), '[::1]');
  assert.equal(reachableHost('127.0.0.2'), '127.0.0.2');
});

test('npm start on HOST=::1 is ready there, and its banner names it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-host-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const start = startStack({
    HOST: '::1',
    INGEST_DATA_DIR: dataDir,
    PORT: String(port),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    const api = bannerLine(start.output(), 'API');
    assert.equal(api, `http://[::1]:${port}/api/import/…`);
    const token = bannerLine(start.output(), 'token');
    const res = await fetch(`http://[::1]:${port}/api/import/getAvailableFields`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200, await res.text());
  } finally {
    await start.stop();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});
