/**
 * `npm run storage:sweep` given another store of the same catalog: its
 * mark names the catalog of the Redis, but not the store the Redis
 * records as the catalog's (a store the catalog moved away from, one a
 * service was once given by mistake). The records name the files of the
 * other store: each old file of this one would look orphaned. The sweep
 * refuses it, as a mark naming no store id and a Redis recording no
 * store, touching nothing. Real Redis, folder stores.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { catalogRecordOf, keys, storeRecordOf } from '@ingest/state';
import { CATALOG_MARK_KEY, checkCatalogMark, FileStorage } from '@ingest/storage';
import { redisForTests } from '@ingest/testkit';
import { assertOneLine } from '../stack/stack-processes';
import { backdateTree, DAY_MS, runSweep } from './sweep-kit';

const own = redisForTests();
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sweep-store-id-'));
});

after(() => rm(dir, { recursive: true, force: true }));

/** A folder store holding one old file no record names; its folder. */
async function storeWithOldFile(name: string): Promise<{ root: string; file: string }> {
  const root = path.join(dir, name);
  const storage = new FileStorage(root);
  const file = 'sources/1/left';
  await storage.put(file, Readable.from(['old bytes']));
  await backdateTree(root, new Date(Date.now() - 2 * DAY_MS));
  return { root, file: path.join(root, file) };
}

const sweep = (root: string) =>
  runSweep(
    { REDIS_URL: own.server.url, STORAGE_URL: `file://${root}`, INGEST_DATA_DIR: dir },
    '--delete',
  );

test('a store of the catalog other than the one its Redis records is refused', async () => {
  // The catalog's store, marked as a service marks it at its start.
  const ours = await storeWithOldFile('ours');
  await checkCatalogMark(new FileStorage(ours.root), catalogRecordOf(own.redis), {
    where: 'test',
    stores: storeRecordOf(own.redis),
    logger: { warn: () => {} },
  });
  const catalog = await catalogRecordOf(own.redis).read();
  const recorded = await storeRecordOf(own.redis).read();
  assert.ok(catalog && recorded);

  const other = await storeWithOldFile('other');
  const otherId = randomUUID();
  await writeFile(path.join(other.root, CATALOG_MARK_KEY), `${catalog}\n${otherId}\n`);
  const refused = await sweep(other.root);
  assert.equal(refused.code, 1, refused.stderr);
  assertOneLine(
    refused.stderr,
    new RegExp(`^STORAGE_URL is a store \\(${otherId}\\) .* another store \\(${recorded}\\)`),
  );

  // A mark from before store ids names the catalog alone.
  await writeFile(path.join(other.root, CATALOG_MARK_KEY), `${catalog}\n`);
  const unnamed = await sweep(other.root);
  assert.equal(unnamed.code, 1, unnamed.stderr);
  assertOneLine(unnamed.stderr, /^STORAGE_URL's catalog mark names no store id/);

  // A Redis with the catalog's id but no store recorded.
  await own.redis.del(keys.store());
  const unrecorded = await sweep(ours.root);
  assert.equal(unrecorded.code, 1, unrecorded.stderr);
  assertOneLine(unrecorded.stderr, /^the Redis at REDIS_URL records no store/);
  await own.redis.set(keys.store(), recorded);

  for (const { file } of [ours, other]) assert.ok(existsSync(file), `${file} is kept`);
  // The catalog's own store is swept as before.
  const swept = await sweep(ours.root);
  assert.equal(swept.code, 0, swept.stderr);
  assert.equal(swept.answer.removed, 1);
  assert.equal(existsSync(ours.file), false);
});
