/**
 * `npm run site:usage`, the README's way to see a site's stored bytes
 * and to count them anew, against a Redis and a folder store of its
 * own: files recorded before anything counted them (as before
 * INGEST_SITE_QUOTA) are taken in by `--recount`, at their size in
 * storage; a file the store no longer holds is left out.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { SiteUsage, StateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { redisForTests } from '@ingest/testkit';
import { assertOneLine } from './stack-processes';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const own = redisForTests();
let dir: string;
let storage: FileStorage;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'site-usage-'));
  storage = new FileStorage(path.join(dir, 'storage'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function siteUsage(...args: string[]) {
  return run('npm', ['run', '--silent', 'site:usage', '--', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: own.server.url,
      STORAGE_URL: `file://${path.join(dir, 'storage')}`,
      INGEST_SITE_QUOTA: '1MB',
    },
    timeout: 30_000,
  }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

/** Stores `bytes` bytes under `key`. */
const put = (key: string, bytes: number) =>
  storage.create(key, 'x'.repeat(bytes));

test('--recount counts the files the records name, at their stored size', async () => {
  const store = new StateStore(own.redis);
  const site = await store.createSite({ name: 'Old', token: 'old', webhookSecret: 'w' });
  const job = await store.createJob(site.id, { name: 'j' });
  const source = { format: 'wav', filename: 'a.wav', sha256: 'x' };
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3', 'wav'],
    sources: { wav: { ...source, storageKey: `sources/${site.id}/a`, bytes: 1 } },
    meta: {},
  });
  assert.ok(upload !== 'closed');
  const trackId = await store.claimTrackId(upload.id);
  const rendition = { sha256: 'x', duration: 1, sampleRate: 8000, channels: 1 };
  // Saved as it is, as before counting began: nothing counted.
  await store.saveTrack({
    id: trackId,
    siteId: site.id,
    uploadId: upload.id,
    jobId: job.id,
    meta: {},
    renditions: {
      mp3: { ...rendition, format: 'mp3', codec: 'mp3', storageKey: 'tracks/t/mp3', bytes: 1 },
      wav: { ...rendition, format: 'wav', codec: 'pcm', storageKey: 'tracks/t/wav', bytes: 1 },
    },
    createdAt: new Date().toISOString(),
  });
  await put(`sources/${site.id}/a`, 3000);
  await put('tracks/t/mp3', 500);
  // tracks/t/wav is gone from the store.

  const shown = await siteUsage('--site', String(site.id));
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual(JSON.parse(shown.stdout), {
    site_id: site.id,
    name: 'Old',
    used_bytes: 0,
    files: 0,
    reserved_bytes: 0,
    quota_bytes: 1_000_000,
    left_bytes: 1_000_000,
  });

  const recounted = await siteUsage('--site', String(site.id), '--recount');
  assert.equal(recounted.code, 0, recounted.stderr);
  const answer = JSON.parse(recounted.stdout);
  assert.deepEqual(answer.recounted, {
    before_bytes: 0,
    after_bytes: 3500,
    files: 2,
    missing_files: 1,
  });
  assert.equal(answer.used_bytes, 3500);
  assert.equal(answer.left_bytes, 1_000_000 - 3500);
  assert.equal(await new SiteUsage(own.redis).total(site.id), 3500);
});

test('wrong options, an unknown site, another store: one line each, exit 1', async () => {
  const store = new StateStore(own.redis);
  const site = await store.createSite({ name: 'Elsewhere', token: 'e', webhookSecret: 'w' });
  const job = await store.createJob(site.id, { name: 'j' });
  await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: {
      wav: { format: 'wav', filename: 'a.wav', sha256: 'x', storageKey: 'nowhere', bytes: 9 },
    },
    meta: {},
  });
  const cases: [string[], RegExp][] = [
    [[], /^usage: npm run site:usage -- --site ID/],
    [['--site', 'one'], /^--site one is not a site id .*; usage: npm run site:usage/],
    [['--site', '-1'], /^Option '--site' argument is ambiguous\. Did you forget .*; usage:/],
    [['--site', '1', '--recont'], /^Unknown option '--recont'; usage: npm run site:usage/],
    [['--site', '999'], /^there is no site 999$/],
    [['--site', String(site.id), '--recount'], /holds none of the 1 files/],
  ];
  for (const [args, refusal] of cases) {
    const refused = await siteUsage(...args);
    assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
    assertOneLine(refused.stderr, refusal);
  }
});

test('--recount keeps a source being accepted: counted and stored, no record yet', async () => {
  const store = new StateStore(own.redis);
  const usage = new SiteUsage(own.redis);
  const site = await store.createSite({ name: 'Busy', token: 'busy', webhookSecret: 'w' });
  // The gateway stores and counts a source, then probes it and reads the
  // rest of the form before its upload's record names it.
  const accepted = `sources/${site.id}/being-accepted`;
  await put(accepted, 4000);
  await usage.stored(site.id, accepted, 4000);
  // A counted source the store no longer holds is left out.
  await usage.stored(site.id, `sources/${site.id}/gone`, 10);

  const recounted = await siteUsage('--site', String(site.id), '--recount');
  assert.equal(recounted.code, 0, recounted.stderr);
  assert.deepEqual(JSON.parse(recounted.stdout).recounted, {
    before_bytes: 4010,
    after_bytes: 4000,
    files: 1,
    missing_files: 1,
  });
  assert.equal(await usage.total(site.id), 4000);
});
