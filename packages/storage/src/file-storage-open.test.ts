import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { FileStorage } from './file-storage';

let dir: string;
let storage: FileStorage;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-storage-open-'));
  storage = new FileStorage(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

test('an open object keeps its version when the key is replaced', async () => {
  await storage.put('t/a.wav', Readable.from(['old bytes, eleven']));
  const opened = await storage.open('t/a.wav');
  assert.ok(opened);

  const replacement = path.join(dir, 'new-file');
  await writeFile(replacement, 'new');
  await storage.putFile('t/a.wav', replacement);

  assert.equal(opened.size, 'old bytes, eleven'.length);
  assert.equal(await text(opened.stream()), 'old bytes, eleven');
  await opened.close();
  await opened.close();

  const fresh = await storage.open('t/a.wav');
  assert.equal(fresh?.size, 3);
  assert.equal(await text(fresh!.stream({ start: 1, end: 2 })), 'ew');
  await fresh!.close();
});

test('opening a missing object gives undefined', async () => {
  assert.equal(await storage.open('t/none.wav'), undefined);
});
