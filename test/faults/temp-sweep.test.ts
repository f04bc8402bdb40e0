/**
 * Fault: the gateway is killed (SIGKILL) while it streams an upload into
 * storage. The temp file it was writing stays behind; a gateway started
 * later removes it once it is a day old, and leaves fresh temp files
 * (another process's writes in progress) alone.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from
  'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  listenOnLoopback,
  makeTone,
  type TestSite,
} from '@ingest/testkit';
import { waitUntil } from './fault-kit';

let dir: string;
let stack: TestStack;
let site: TestSite;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-sweep-'));
  await makeTone(path.join(dir, 'tone.wav'), { seconds: 4 });
  stack = await TestStack.start();
  site = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a killed gateway leaves a temp file; the next sweeps it when stale', async () => {
  const wav = await readFile(path.join(dir, 'tone.wav'));
  // Sends half the file, then holds the connection open.
  const held = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Length': wav.length });
    res.write(wav.subarray(0, wav.length >> 1));
  });
  const source = await listenOnLoopback(held);
  const tmpDir = path.join(stack.dataDir, 'storage', '.tmp');
  const temps = () => readdir(tmpDir).catch(() => [] as string[]);

  try {
    const before = new Set(await temps());
    const upload = stack
      .call('/api/import/upload', site.token, { url: `${source.url}/a.wav` })
      .catch((err: unknown) => err);
    const [left] = await waitUntil('the upload writing its temp file', async () => {
      const fresh = (await temps()).filter((name) => !before.has(name));
      return fresh.length > 0 && fresh;
    });

    const gateway = stack.services.find((s) => s.name === 'gateway')!;
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await upload;
    assert.ok((await temps()).includes(left), 'the killed write stays');

    // A day and a minute old, as after a crash long ago; and one written
    // just now, as by another gateway still streaming.
    const dayAgo = new Date(Date.now() - 24 * 3600_000 - 60_000);
    await utimes(path.join(tmpDir, left), dayAgo, dayAgo);
    await writeFile(path.join(tmpDir, 'in-progress'), 'bytes');

    await stack.startService('gateway', gateway.port);
    const after = await temps();
    assert.equal(after.includes(left), false, 'the stale temp file is swept');
    assert.ok(after.includes('in-progress'), 'a fresh temp file stays');
    console.log(`# observed: ${left} swept at start, in-progress kept`);
  } finally {
    held.closeAllConnections();
    await source.close();
  }
});
