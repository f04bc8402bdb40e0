import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StartRefusal } from '@ingest/core';
import { checkCatalogMark } from './catalog-mark';
import { FileStorage } from './file-storage';

const quiet = { warn: () => {} };

/** One Redis's store record, in memory; each call yields once first. */
function record(initial?: string) {
  let id = initial;
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    get id() {
      return id;
    },
    async read() {
      await tick();
      return id;
    },
    async claim(candidate: string) {
      await tick();
      id ??= candidate;
      return id;
    },
  };
}

/** A Redis that has the catalog id `id`. */
const catalog = (id: string) => ({ read: async () => id, claim: async () => id });

const options = (root: string, stores = record()) => ({ where: root, logger: quiet, stores });

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
        ids.map((id) => checkCatalogMark(store, catalog(id), options(root))),
      );
      const started = ids.filter((_, i) => outcomes[i].status === 'fulfilled');
      assert.equal(started.length, 1, `both started, round ${round}`);
      const refused = outcomes.find((o) => o.status === 'rejected')!;
      const reason = (refused as PromiseRejectedResult).reason;
      assert.ok(reason instanceof StartRefusal, String(reason));
      assert.match(reason.message, new RegExp(`another catalog \\(${started[0]}\\)`));
      const mark = await readFile(path.join(root, 'catalog-id'), 'utf8');
      assert.equal(mark.split('\n')[0], started[0]);
    });
  }
});

test('one catalog started twice at once on a new store: both start', async () => {
  await withStore(async (root, store) => {
    const stores = record();
    const start = () => checkCatalogMark(store, catalog('same'), options(root, stores));
    await Promise.all([start(), start(), start()]);
    const mark = await readFile(path.join(root, 'catalog-id'), 'utf8');
    assert.equal(mark, `same\n${stores.id}\n`);
  });
});

test('an empty mark is written over; create leaves an existing object alone', async () => {
  await withStore(async (root, store) => {
    await writeFile(path.join(root, 'catalog-id'), '\n');
    const stores = record();
    await checkCatalogMark(store, catalog('mine'), options(root, stores));
    assert.equal(
      (await readFile(path.join(root, 'catalog-id'), 'utf8')).trim(),
      `mine\n${stores.id}`,
    );
    assert.equal(await store.create('catalog-id', 'other\n'), false);
    assert.equal(await store.create('a/b', 'new\n'), true);
    assert.equal(await readFile(path.join(root, 'catalog-id'), 'utf8'), `mine\n${stores.id}\n`);
    assert.equal(await readFile(path.join(root, 'a', 'b'), 'utf8'), 'new\n');
  });
});

// A service of a scaled deployment whose STORAGE_URL was forgotten used
// a store of its own, which took the catalog's id: its uploads ended
// source_missing on the transcoders of the catalog's store.
test('a second store of one catalog refuses, also marked at once', async () => {
  await withStore(async (first, one) => {
    await withStore(async (second, two) => {
      const stores = record();
      const outcomes = await Promise.allSettled([
        checkCatalogMark(one, catalog('cat'), options(first, stores)),
        checkCatalogMark(two, catalog('cat'), options(second, stores)),
      ]);
      const refused = outcomes.filter((o) => o.status === 'rejected');
      assert.equal(refused.length, 1, 'both stores taken');
      const reason = (refused[0] as PromiseRejectedResult).reason;
      assert.ok(reason instanceof StartRefusal, String(reason));
      assert.match(reason.message, /now keeps its files in another store/);
      // Later starts: the marked one again, and a third, empty store.
      const [kept, keptRoot] = outcomes[0].status === 'fulfilled' ? [one, first] : [two, second];
      await checkCatalogMark(kept, catalog('cat'), options(keptRoot, stores));
      await withStore(async (third, three) => {
        await assert.rejects(
          checkCatalogMark(three, catalog('cat'), options(third, stores)),
          (err: Error) =>
            err instanceof StartRefusal &&
            /^STORAGE_URL \S+ is a store without a catalog mark/.test(err.message) &&
            /INGEST_DATA_DIR/.test(err.message) &&
            /redis-cli DEL '\{ingest\}:store'/.test(err.message),
        );
        await assert.rejects(readFile(path.join(third, 'catalog-id')), { code: 'ENOENT' });
      });
    });
  });
});

test('a mark without a store id is taken as the catalog\'s store', async () => {
  await withStore(async (root, store) => {
    await writeFile(path.join(root, 'catalog-id'), 'cat\n');
    const stores = record();
    await checkCatalogMark(store, catalog('cat'), options(root, stores));
    assert.ok(stores.id);
    const mark = await readFile(path.join(root, 'catalog-id'), 'utf8');
    assert.equal(mark, `cat\n${stores.id}\n`);
  });
});
