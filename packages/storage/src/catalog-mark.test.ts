import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StartRefusal } from '@ingest/core';
import { checkCatalogMark } from './catalog-mark';
import { FileStorage } from './file-storage';

const quiet = { warn: () => {} };

async function withStore(use: (root: string, store: FileStorage) => Promise<void>) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'catalog-mark-'));
  try {
    await use(root, new FileStorage(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// Two services on two Redises starting at once on a new store (a stack's
// first start, one of them given the wrong REDIS_URL) both found no mark
// and both wrote theirs: the last write won, and both started.
test('two catalogs marking a new store at once: one refuses', async () => {
  for (let round = 0; round < 10; round++) {
    await withStore(async (root, store) => {
      const ids = [`a-${round}`, `b-${round}`];
      const outcomes = await Promise.allSettled(
        ids.map((id) => checkCatalogMark(store, id, { where: root, logger: quiet })),
      );
      const started = ids.filter((_, i) => outcomes[i].status === 'fulfilled');
      assert.equal(started.length, 1, `both started, round ${round}`);
      const refused = outcomes.find((o) => o.status === 'rejected')!;
      const reason = (refused as PromiseRejectedResult).reason;
      assert.ok(reason instanceof StartRefusal, String(reason));
      assert.match(reason.message, new RegExp(`another catalog \\(${started[0]}\\)`));
      const mark = await readFile(path.join(root, 'catalog-id'), 'utf8');
      assert.equal(mark.trim(), started[0]);
    });
  }
});

test('one catalog started twice at once on a new store: both start', async () => {
  await withStore(async (root, store) => {
    const start = () => checkCatalogMark(store, 'same', { where: root, logger: quiet });
    await Promise.all([start(), start()]);
    assert.equal((await readFile(path.join(root, 'catalog-id'), 'utf8')).trim(), 'same');
  });
});

test('an empty mark is written over; create leaves an existing object alone', async () => {
  await withStore(async (root, store) => {
    await writeFile(path.join(root, 'catalog-id'), '\n');
    await checkCatalogMark(store, 'mine', { where: root, logger: quiet });
    assert.equal((await readFile(path.join(root, 'catalog-id'), 'utf8')).trim(), 'mine');
    assert.equal(await store.create('catalog-id', 'other\n'), false);
    assert.equal(await store.create('a/b', 'new\n'), true);
    assert.equal(await readFile(path.join(root, 'catalog-id'), 'utf8'), 'mine\n');
    assert.equal(await readFile(path.join(root, 'a', 'b'), 'utf8'), 'new\n');
  });
});
