import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { FileStorage } from './file-storage';
import { ObjectTooLargeError } from './storage';
import { isStorageUnavailable } from './storage-errors';

let dir: string;
let storage: FileStorage;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-storage-'));
  storage = new FileStorage(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

test('put streams, hashes and reads back with ranges', async () => {
  const body = 'hello, catalog';
  const result = await storage.put('a/b.txt', Readable.from([body]));
  assert.equal(result.bytes, body.length);
  assert.equal(
    result.sha256,
    createHash('sha256').update(body).digest('hex'),
  );
  assert.equal(await text(await storage.read('a/b.txt')), body);
  assert.equal(
    await text(await storage.read('a/b.txt', { start: 7, end: 13 })),
    'catalog',
  );
  assert.equal(await storage.size('a/b.txt'), body.length);
});

test('an object over the limit leaves nothing behind', async () => {
  await assert.rejects(
    storage.put('big.bin', Readable.from([Buffer.alloc(2048)]), 1024),
    ObjectTooLargeError,
  );
  assert.equal(await storage.size('big.bin'), undefined);
  assert.deepEqual(await readdir(path.join(dir, '.tmp')), []);
});

test('keys cannot climb out of the root', async () => {
  await assert.rejects(storage.put('../x', Readable.from(['x'])), /unsafe/);
  await assert.rejects(storage.read('a/../../etc/passwd'), /unsafe/);
});

test('ready when the root is a writable directory, made if missing', async () => {
  const fresh = new FileStorage(path.join(dir, 'not-yet', 'there'));
  assert.deepEqual(await fresh.ready(), { ready: true });
  await writeFile(path.join(dir, 'a-file'), 'x');
  const file = await new FileStorage(path.join(dir, 'a-file')).ready();
  assert.equal(file.ready, false);
  assert.match(file.reason ?? '', /a-file is not writable/);
  const under = new FileStorage(path.join(dir, 'a-file', 'sub'));
  assert.equal((await under.ready()).ready, false);
});

test('a store that takes no writes is unavailable and not ready, until it takes them', async () => {
  const root = path.join(dir, 'faulty');
  const faulty = new FileStorage(root);
  await faulty.put('tracks/1/a.txt', Readable.from(['a']));
  // A file where the store's temp folder should be: no write can land.
  await rm(path.join(root, '.tmp'), { recursive: true });
  await writeFile(path.join(root, '.tmp'), 'in the way');

  await assert.rejects(
    faulty.put('tracks/1/b.txt', Readable.from(['b'])),
    (err) => {
      assert.ok(isStorageUnavailable(err), String(err));
      assert.match((err as Error).message, /faulty takes no writes \(E[A-Z]+\)/);
      return true;
    },
  );
  const local = path.join(dir, 'local.txt');
  await writeFile(local, 'c');
  // A file where a folder of keys should be.
  await writeFile(path.join(root, 'renditions'), 'in the way');
  await assert.rejects(faulty.putFile('renditions/2/c.txt', local), (err) =>
    isStorageUnavailable(err),
  );
  const down = await faulty.ready();
  assert.equal(down.ready, false);
  assert.match(down.reason ?? '', /faulty is not writable/);

  await rm(path.join(root, '.tmp'));
  await rm(path.join(root, 'renditions'));
  assert.deepEqual(await faulty.ready(), { ready: true });
  await faulty.put('tracks/1/b.txt', Readable.from(['b']));
  assert.equal(await text(await faulty.read('tracks/1/b.txt')), 'b');
});

test('the last delete in a folder removes it, and parents left empty', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ingest-prune-'));
  try {
    const store = new FileStorage(root);
    await store.put('tracks/7/mp3.mp3', Readable.from(['a']));
    await store.put('tracks/7/wav.wav', Readable.from(['b']));
    await store.put('tracks/8/mp3.mp3', Readable.from(['c']));

    await store.delete('tracks/7/mp3.mp3');
    assert.deepEqual(await readdir(path.join(root, 'tracks', '7')), ['wav.wav']);
    await store.delete('tracks/7/wav.wav');
    assert.deepEqual(await readdir(path.join(root, 'tracks')), ['8']);
    await store.delete('tracks/8/mp3.mp3');
    await store.delete('tracks/8/mp3.mp3');
    assert.deepEqual(
      (await readdir(root)).filter((name) => name !== '.tmp'),
      [],
      'tracks/ went too; the root stays',
    );

    // The folder is made again for the next key.
    await store.put('tracks/7/mp3.mp3', Readable.from(['d']));
    assert.equal(await store.size('tracks/7/mp3.mp3'), 1);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('list: the files under a folder; temp files and odd names left out', async () => {
  const root = await mkdtemp(path.join(dir, 'listed-'));
  const store = new FileStorage(root);
  await store.put('tracks/1/mp3.a.mp3', Readable.from(['abc']));
  await store.put('tracks/12/wav.b.wav', Readable.from(['de']));
  await store.put('sources/1/x', Readable.from(['f']));
  await mkdir(path.join(root, '.tmp'), { recursive: true });
  await writeFile(path.join(root, '.tmp', 'partial'), 'p');
  await writeFile(path.join(root, 'tracks', '1', '.DS_Store'), 'junk');

  const keysOf = async (prefix: string) => {
    const found: [string, number][] = [];
    for await (const { key, bytes, modifiedAt } of store.list(prefix)) {
      assert.ok(modifiedAt.getTime() > 0, key);
      found.push([key, bytes]);
    }
    return found.sort();
  };
  assert.deepEqual(await keysOf('tracks/'), [
    ['tracks/1/mp3.a.mp3', 3],
    ['tracks/12/wav.b.wav', 2],
  ]);
  assert.deepEqual(await keysOf('tracks/1/'), [['tracks/1/mp3.a.mp3', 3]]);
  assert.deepEqual((await keysOf('')).map(([key]) => key), [
    'sources/1/x',
    'tracks/1/mp3.a.mp3',
    'tracks/12/wav.b.wav',
  ]);
  assert.deepEqual(await keysOf('missing/'), []);
  await assert.rejects(keysOf('../'), /not a folder of storage keys/);
  await assert.rejects(keysOf('tracks'), /not a folder of storage keys/);
});

test('a file put is dated when stored, not when it was written', async () => {
  const made = path.join(dir, 'made-long-ago.mp3');
  await writeFile(made, 'abc');
  const dayAgo = new Date(Date.now() - 24 * 60 * 60 * 1000);
  await utimes(made, dayAgo, dayAgo);
  const before = Date.now();
  await storage.putFile('dated/mp3.a.mp3', made);
  const listed = [];
  for await (const object of storage.list('dated/')) listed.push(object);
  assert.equal(listed.length, 1);
  assert.ok(listed[0]!.modifiedAt.getTime() >= before - 1000, 'dated at the store');
});
