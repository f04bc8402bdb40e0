import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from
  'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sweepStale } from './stale-temp';

let dir: string;
const DAY = 24 * 3600_000;
const old = new Date(Date.now() - 2 * DAY);

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-sweep-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function folder(name: string, fileAge: Date) {
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, 'copy.wav'), 'x');
  await utimes(path.join(dir, name, 'copy.wav'), fileAge, fileAge);
  await utimes(path.join(dir, name), old, old);
}

test('only what nothing touched for the age, and only what is owned', async () => {
  await folder('s3-copy-dead', old);
  // An old folder whose file is still being written is in use.
  await folder('s3-copy-busy', new Date());
  await writeFile(path.join(dir, 'someone-else'), 'x');
  await utimes(path.join(dir, 'someone-else'), old, old);

  const swept = await sweepStale(dir, DAY, (n) => n.startsWith('s3-copy-'));
  assert.deepEqual(swept, ['s3-copy-dead']);
  assert.deepEqual((await readdir(dir)).sort(), ['s3-copy-busy', 'someone-else']);
});

test('a folder that does not exist sweeps nothing', async () => {
  assert.deepEqual(await sweepStale(path.join(dir, 'none'), DAY), []);
});
