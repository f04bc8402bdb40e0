import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { StartRefusal } from '@ingest/core';
import { prepareDataDir, removeMadeDataDir } from './data-dir';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-data-dir-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a data dir that is a file is refused naming the errno once', async () => {
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a folder');

  const err = await prepareDataDir(file).catch((e: unknown) => e);

  assert.ok(err instanceof StartRefusal, String(err));
  assert.equal(
    err.message,
    `INGEST_DATA_DIR ${file} is not a folder this process can write ` +
      `(EEXIST: file already exists, mkdir '${file}'); point it at one`,
  );
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'EEXIST');
});

test('only the folders prepareDataDir made are removed, and only while empty', async () => {
  const there = path.join(dir, 'there');
  await mkdir(there);
  assert.equal(await prepareDataDir(there), undefined);

  const deep = path.join(there, 'a', 'b', 'c');
  const made = await prepareDataDir(deep);
  assert.equal(made, path.join(there, 'a'));
  await writeFile(path.join(there, 'a', 'b', 'kept'), '');
  await removeMadeDataDir(deep, made!);
  await assert.rejects(access(deep), { code: 'ENOENT' });
  await access(path.join(there, 'a', 'b', 'kept'));

  await rm(path.join(there, 'a', 'b', 'kept'));
  await removeMadeDataDir(path.join(there, 'a', 'b'), made!);
  await assert.rejects(access(path.join(there, 'a')), { code: 'ENOENT' });
  await access(there);
});
