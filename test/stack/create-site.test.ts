/**
 * `npm run site:create`, the README's way to make more sites, against a
 * Redis of its own: every `--custom` counts, whether the fields come as
 * one comma list or as the option repeated.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { freePort, RedisServer } from '@ingest/testkit';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let server: RedisServer;
let dataDir: string;

before(async () => {
  server = await RedisServer.start();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-site-create-'));
});

after(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function createSite(...args: string[]) {
  const { stdout } = await run(
    'npm',
    ['run', '--silent', 'site:create', '--', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url, INGEST_DATA_DIR: dataDir },
    },
  );
  return JSON.parse(stdout);
}

test('--custom as a comma list or repeated: every field is kept', async () => {
  const listed = await createSite('--name', 'Listed', '--custom', 'A, B');
  assert.deepEqual(listed.custom_fields, ['A', 'B']);

  const repeated = await createSite(
    '--name',
    'Repeated',
    '--custom',
    'ISWC Code',
    '--custom',
    'Label Ref,Region',
    '--custom',
    'ISWC Code',
  );
  assert.deepEqual(repeated.custom_fields, [
    'ISWC Code',
    'Label Ref',
    'Region',
  ]);

  const redis = createRedis(server.url);
  try {
    const site = await new StateStore(redis).getSite(repeated.site_id);
    assert.deepEqual(site?.customFields, repeated.custom_fields);
  } finally {
    redis.disconnect();
  }
});

test('a Redis that does not answer is said so, not waited on for ever', async () => {
  // What a stopped npm start leaves: its redis.url, naming a closed port.
  const stale = `redis://127.0.0.1:${await freePort()}`;
  const failed = await run('npm', ['run', '--silent', 'site:create', '--', '--name', 'X'], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: stale, INGEST_DATA_DIR: dataDir },
    timeout: 30_000,
  }).then(
    () => assert.fail('site:create succeeded without Redis'),
    (err: { code: number | string; killed: boolean; stderr: string }) => err,
  );
  assert.equal(failed.killed, false, 'it ended by itself');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /no Redis answers at redis:\/\/127\.0\.0\.1:\d+/);
  assert.match(failed.stderr, /is npm start running\? Or set REDIS_URL/);
});
