/**
 * End to end: `npm run storage:sweep` on a running stack's file storage.
 * Two tracks published, one deleted; then the files races leave as
 * their runs record them: an update's rendition stored into the deleted
 * track's folder (a delete while the update was applied), a source no
 * upload took (a gateway killed between storing and accepting it). Every
 * file is dated two days back but one orphan of now. The dry run lists
 * just the two old orphans; `--delete` removes just them and their
 * quota count; the published track still downloads as its record says.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { keys, SiteUsage } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { RedisServer, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { assertOneLine } from '../stack/stack-processes';
import { HZ, tone, trackCalls } from './track-kit';
import { backdateTree, DAY_MS, runSweep } from './sweep-kit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'kept.wav', HZ.orderBase);
      await tone(dir, 'deleted.wav', HZ.orderFast);
      await tone(dir, 'waiting.wav', HZ.orderSlow);
    },
  });
});

after(() => fixture?.close());

const { call, upload, download, getTrack, publishAndWait, trackOfUpload } =
  trackCalls(() => fixture);

/** The sweep as an operator of this stack runs it. */
const sweep = (...args: string[]) =>
  runSweep(
    {
      REDIS_URL: fixture.stack.redisServer.url,
      INGEST_DATA_DIR: fixture.stack.dataDir,
    },
    ...args,
  );

test('a dry run lists the old orphans; --delete removes only them', async () => {
  const { stack, site } = fixture;
  const storageDir = path.join(stack.dataDir, 'storage');
  const storage = new FileStorage(storageDir);
  const usage = new SiteUsage(stack.redis);

  const kept = await upload('kept.wav');
  const gone = await upload('deleted.wav');
  const done = await publishAndWait();
  const keptId = await trackOfUpload(done.job_id, kept.body.upload_id);
  const goneId = await trackOfUpload(done.job_id, gone.body.upload_id);
  const deleted = await stack.call('/api/tracks/delete', site.token, { track_id: goneId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  const waiting = await upload('waiting.wav');
  assert.equal(waiting.status, 200, JSON.stringify(waiting.body));

  /** A file stored and counted as the service would have. */
  const leave = async (key: string, bytes: number) => {
    await storage.put(key, Readable.from([Buffer.alloc(bytes, 7)]));
    await usage.stored(site.id, key, bytes);
    return key;
  };
  // An update's rendition, put in after the delete had read the track.
  const updateFile = await leave(`tracks/${goneId}/mp3.u3.0badc0de.mp3`, 5000);
  const source = await leave(`sources/${site.id}/${randomUUID()}`, 3000);
  const young = await leave(`sources/${site.id}/${randomUUID()}`, 1000);
  // A run of the waiting upload that stored its file and has not
  // published yet: named by the keys it noted, under the track id it
  // claimed (as CLAIM_TRACK_ID numbers it).
  const claimed = await stack.redis.hincrby(keys.seq(), 'track', 1);
  const noted = `tracks/${claimed}/mp3.${randomUUID().slice(0, 8)}.mp3`;
  await stack.redis.sadd(keys.uploadFiles(waiting.body.upload_id), noted);
  await leave(noted, 700);
  // A producer's inbound file and a writer's temp file are not the
  // sweep's, however old (temp files are the services' own to sweep).
  const inbound = 'inbound/producer/album/01.wav';
  await storage.put(inbound, Readable.from(['wav']));
  await mkdir(path.join(storageDir, '.tmp'), { recursive: true });
  await writeFile(path.join(storageDir, '.tmp', 'left-by-a-dead-writer'), 'x');

  const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS);
  await backdateTree(storageDir, twoDaysAgo, new Set([path.join(storageDir, young)]));
  const countedBefore = await usage.total(site.id);

  const dry = await sweep();
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.answer.dry_run, true);
  assert.deepEqual(
    dry.answer.orphans.map((o: { key: string }) => o.key).sort(),
    [source, updateFile].sort(),
  );
  assert.equal(dry.answer.orphan_bytes, 8000);
  assert.equal(dry.answer.kept_young, 1);
  assert.equal(dry.answer.removed, 0);
  for (const key of [source, updateFile]) {
    assert.ok(existsSync(path.join(storageDir, key)), `${key} is still there`);
  }

  const swept = await sweep('--delete', '--older-than', '36h');
  assert.equal(swept.code, 0, swept.stderr);
  assert.equal(swept.answer.dry_run, false);
  assert.equal(swept.answer.removed, 2);
  assert.deepEqual(swept.answer.failed, []);
  assert.equal(existsSync(path.join(storageDir, source)), false);
  assert.equal(existsSync(path.join(storageDir, 'tracks', String(goneId))), false);
  for (const key of [young, noted, inbound]) {
    assert.ok(existsSync(path.join(storageDir, key)), `${key} is kept`);
  }
  assert.equal(await usage.total(site.id), countedBefore - 8000);
  for (const key of [source, updateFile]) {
    assert.equal(await stack.redis.hexists(keys.siteStored(site.id), key), 0);
  }

  // The published track's files were named, and stay what it serves.
  const track = await getTrack(keptId);
  for (const format of ['mp3', 'wav']) {
    const got = await download(keptId, format);
    assert.equal(got.sha256, track.formats[format].sha256, format);
  }
  const listed = await call('list', { job_id: done.job_id });
  assert.equal(listed.status, 200);

  const again = await sweep('--delete');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.answer.orphan_count, 0);
});

test('refusals: a bad grace, or a Redis of no catalog, sweep nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['--older-than', '24'], /^--older-than "24" is not a duration like 24h/],
    [['--older-than', '10m'], /^--older-than 10m is less than 1h/],
    [
      ['--older-than', '6M'],
      /^--older-than "6M" is not a duration like 24h, 2d or 1w \(M is not a unit: minutes are m,/,
    ],
    [['--dry'], /^Unknown option '--dry'; usage: npm run storage:sweep/],
  ];
  for (const [args, refusal] of cases) {
    const refused = await sweep(...args);
    assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
    assertOneLine(refused.stderr, refusal);
  }

  const fresh = await RedisServer.start();
  try {
    const refused = await runSweep(
      { REDIS_URL: fresh.url, INGEST_DATA_DIR: fixture.stack.dataDir },
      '--delete',
    );
    assert.equal(refused.code, 1, refused.stderr);
    assertOneLine(refused.stderr, /^the Redis at REDIS_URL has no catalog id/);
  } finally {
    await fresh.close();
  }
  const files = path.join(fixture.stack.dataDir, 'storage', 'sources');
  assert.ok(existsSync(files), 'the sources are all still there');
});

test('a grace in upper case (7D) or in weeks (2w) is taken', async () => {
  for (const grace of ['7D', '2w']) {
    const taken = await sweep('--older-than', grace);
    assert.equal(taken.code, 0, `${grace}: ${taken.stderr}`);
    assert.equal(taken.answer.older_than, grace);
  }
});
