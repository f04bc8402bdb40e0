/**
 * End to end: two files of one name (`song.wav`, `Song.MP3`) arriving at
 * the same moment through the inbound queue, which runs imports side by
 * side (HTTP uploads of a site go one at a time). Each import looks for
 * a waiting upload of that name before it adds its own; both looking
 * before either adds must still end as one upload with both sources, as
 * when they come one after the other (SPEC §2, secondary sources).
 * The sources are held until both imports fetch them (one on each of
 * two gateways), and Redis writes are held until both stand at their
 * first one, so the two line up.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openQueue, type TypedQueue } from '@ingest/queue';
import {
  heldSource,
  holdWrites,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type HeldSource,
} from '@ingest/testkit';
import { HZ, MP3, tone, trackCalls } from './track-kit';

let fixture: FixtureStack;
let imports: TypedQueue<'imports'>;
const held: HeldSource[] = [];

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'song.wav', HZ.songWav);
      await tone(dir, 'song.mp3', HZ.songMp3, MP3);
    },
    transcoders: 0,
    // One import at a time per gateway, and two gateways: each import
    // has a Redis connection of its own, so each stops at its own write.
    env: { INGEST_IMPORT_CONCURRENCY: '1' },
  });
  await fixture.stack.startService('gateway');
  imports = openQueue('imports', fixture.stack.redis);
});

after(async () => {
  await imports?.close();
  for (const source of held) await source.close();
  await fixture?.close();
});

const { call } = trackCalls(() => fixture);

/** A fixture served under `name`, sent only once released. */
async function hold(fixtureName: string, name: string) {
  const bytes = await readFile(path.join(fixture.dir, fixtureName));
  const source = await heldSource(bytes, name);
  held.push(source);
  return source;
}

/**
 * Settles once `count` calls wait in Redis to take an upload id, the
 * first write of an upload that found no waiting upload of its name.
 */
async function waitForIdTakers(count: number) {
  const { redis } = fixture.stack;
  await waitUntil(
    async () => {
      const list = (await redis.call('CLIENT', 'LIST')) as string;
      const takers = list
        .split('\n')
        .filter((line) => /\bflags=\S*b/.test(line))
        .filter((line) => /\bcmd=hincrby\b/.test(line));
      return takers.length >= count;
    },
    { intervalMs: 20, timeoutMs: 60_000 },
  );
}

test('two sources of one name imported at once make one upload', async () => {
  const { site, stack } = fixture;
  const wav = await hold('song.wav', 'song.wav');
  const mp3 = await hold('song.mp3', 'Song.MP3');
  const jobs: Array<{ id?: string }> = [];
  for (const source of [wav, mp3]) {
    const payload = { v: 1, siteId: site.id, source: { url: source.url } };
    jobs.push(await imports.add('import', payload as never));
  }
  await Promise.all([wav.fetched, mp3.fetched]);

  // Each import first counts its stored source against the site's quota
  // (a write), then probes it (ffprobe, tens of ms) and looks for a
  // waiting upload of its name: both are held at the count, let go
  // together, and held again long before either has probed.
  let writes = await holdWrites(stack.redis);
  try {
    wav.release();
    mp3.release();
    await writes.waitForHeld(2);
    await writes.release();
    writes = await holdWrites(stack.redis);
    await waitForIdTakers(2);
  } finally {
    await writes.release();
  }

  const answers = await waitUntil(
    async () => {
      const done = await Promise.all(jobs.map((job) => imports.getJob(job.id!)));
      const failed = done.find((job) => job?.failedReason);
      assert.equal(failed, undefined, failed?.failedReason);
      return done.every((job) => job?.returnvalue) && done;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  const ids = answers.map((job) => job!.returnvalue.upload_id);
  assert.equal(ids[0], ids[1], `one upload, not ${ids.join(' and ')}`);

  const list = await call('list');
  assert.equal(list.body.tracks.length, 1, JSON.stringify(list.body));
  const { body } = await call('setFormats', {
    upload_id: ids[0],
    formats: 'mp3,wav',
  });
  assert.deepEqual(body.track.sources.sort(), ['mp3', 'wav']);
});
