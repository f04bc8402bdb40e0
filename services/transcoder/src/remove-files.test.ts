/**
 * A source the transcoder is done with (an errored upload's) is removed
 * and uncounted from its site's INGEST_SITE_QUOTA. It was removed first
 * and uncounted after: a Redis that refused the uncount (its disk full,
 * a long outage) left the site counting a file it no longer had, held
 * at its quota until a recount. The uncount now comes first, and a
 * refused one leaves the file stored: counted and stored agree.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SiteUsage } from '@ingest/state';
import { startRunKit, type RunKit } from './test-support';
import { removeFiles } from './transcode-processor';

let kit: RunKit;
let usage: SiteUsage;

before(async () => {
  kit = await startRunKit('remove-files');
  usage = new SiteUsage(kit.redis);
});
after(() => kit.close());

async function storedSource(name: string): Promise<string> {
  const key = `sources/1/${name}`;
  const file = path.join(kit.dir, name);
  await writeFile(file, Buffer.alloc(1000, 1));
  await kit.storage.putFile(key, file);
  await usage.stored(1, key, 1000);
  return key;
}

/** Redis refuses every write (NOREPLICAS) while `run` runs. */
async function refusingWrites(run: () => Promise<void>): Promise<void> {
  await kit.redis.config('SET', 'min-replicas-to-write', '1');
  try {
    await assert.rejects(kit.redis.set('probe', '1'), /NOREPLICAS/);
    await run();
  } finally {
    await kit.redis.config('SET', 'min-replicas-to-write', '0');
  }
}

test('a file whose uncount Redis refuses stays stored and counted', async () => {
  const key = await storedSource('refused');
  const deps = { ...kit.base, storage: kit.storage, usage };

  await refusingWrites(() => removeFiles(deps, 1, [key]));

  assert.equal(await kit.storage.size(key), 1000, 'the file is still stored');
  assert.equal(await usage.total(1), 1000, 'and counted');

  await removeFiles(deps, 1, [key]);
  assert.equal(await kit.storage.size(key), undefined);
  assert.equal(await usage.total(1), 0);
});

test('a file whose removal fails is counted again', async () => {
  const key = await storedSource('kept');
  const unreachable = async () => {
    throw new Error('store unreachable');
  };

  await assert.rejects(usage.remove(1, key, unreachable), /store unreachable/);
  assert.equal(await kit.storage.size(key), 1000);
  assert.equal(await usage.total(1), 1000);
});
