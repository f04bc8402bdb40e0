import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Meta, Track } from '@ingest/core';
import { redisForTests } from '@ingest/testkit';
import { SearchIndex } from './search-index';
import { StateStore } from './state-store';
import { TrackDeleter } from './track-deleter';

const own = redisForTests();
let store: StateStore;
let index: SearchIndex;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  index = new SearchIndex(own.redis);
});

async function track(id: number, siteId: number, meta: Meta) {
  const t: Track = {
    id,
    siteId,
    uploadId: id,
    jobId: 1,
    meta,
    renditions: {},
    createdAt: '2024-01-01T00:00:00.000Z',
  };
  await store.saveTrack(t);
  return t;
}

const find = (siteId: number, text: string, offset = 0, count = 50) =>
  index.search(siteId, text, { offset, count });

/** Each query of `cases` finds exactly its ids among the site's tracks. */
async function expectFound(siteId: number, cases: [string, number[]][]) {
  for (const [text, ids] of cases) {
    assert.deepEqual(await find(siteId, text), { total: ids.length, ids }, text);
  }
}

test('words, accents, prefixes and CJK find tracks, newest first', async () => {
  assert.ok(await index.add(await track(11, 1, { Title: 'Café Señor' })));
  await index.add(await track(12, 1, { Title: 'Cafeteria', Artist: 'Ann' }));
  await index.add(await track(13, 1, { Title: '夜明けのスキャット' }));
  await index.add(await track(14, 2, { Title: 'Café' }));

  assert.deepEqual(await find(1, 'cafe senor'), { total: 1, ids: [11] });
  assert.deepEqual(await find(1, 'CAF'), { total: 2, ids: [12, 11] });
  assert.deepEqual(await find(1, 'スキャット'), { total: 1, ids: [13] });
  assert.deepEqual(await find(1, '夜明け'), { total: 1, ids: [13] });
  assert.deepEqual(await find(1, 'cafeteria an'), { total: 1, ids: [12] });
  // Only the last word is a prefix.
  assert.deepEqual(await find(1, 'cafe an'), { total: 0, ids: [] });
  assert.deepEqual(await find(1, 'cafe nobody'), { total: 0, ids: [] });
  assert.deepEqual(await find(1, 'zz'), { total: 0, ids: [] });
  // Blank text lists every indexed track of the site.
  assert.deepEqual(await find(1, ''), { total: 3, ids: [13, 12, 11] });
  assert.deepEqual(await find(1, ' \t'), { total: 3, ids: [13, 12, 11] });
  // Text with no word in it finds nothing, rather than everything.
  for (const wordless of ['*', '\0', '🎵', '- . !']) {
    assert.deepEqual(await find(1, wordless), { total: 0, ids: [] });
  }
  // Paging.
  assert.deepEqual(await find(1, '', 1, 1), { total: 3, ids: [12] });
  // No temp keys are left behind.
  assert.deepEqual(await own.redis.keys('*search:tmp*'), []);
});

test('re-indexing replaces old tokens; removal forgets the track', async () => {
  const t = await track(21, 3, { Title: 'Old Name' });
  await index.add(t);
  await index.add({ ...t, meta: { Title: 'New Name' } });
  assert.deepEqual(await find(3, 'old'), { total: 0, ids: [] });
  assert.deepEqual(await find(3, 'name'), { total: 1, ids: [21] });

  assert.equal(await index.remove(21), true);
  assert.equal(await index.remove(21), false);
  assert.deepEqual(await find(3, 'name'), { total: 0, ids: [] });
  assert.deepEqual(await find(3, 'na'), { total: 0, ids: [] });
  // Nothing of the site is left in Redis.
  assert.deepEqual(await own.redis.keys('*search:3:*'), []);
});

test('a track whose record is gone is not indexed', async () => {
  const t = await track(31, 4, { Title: 'Ghost' });
  await own.redis.del(`{ingest}:track:31`);
  assert.equal(await index.add(t), false);
  assert.deepEqual(await find(4, 'ghost'), { total: 0, ids: [] });
});

test('a deleted track leaves the index in the same step', async () => {
  for (const id of [41, 42, 43, 44]) {
    await index.add(await track(id, 5, { Title: `Song ${id}` }));
  }
  const deleter = new TrackDeleter(own.redis);
  assert.equal(await deleter.delete(6, 44), false, "another site's");
  assert.ok(await deleter.delete(5, 44));
  assert.ok(await deleter.delete(5, 43));

  // Counted and paged without them, before any indexer ran.
  assert.deepEqual(await find(5, '', 0, 1), { total: 2, ids: [42] });
  assert.deepEqual(await find(5, 'song', 1, 1), { total: 2, ids: [41] });
  assert.deepEqual(await find(5, '43'), { total: 0, ids: [] });
  assert.equal(await index.remove(44), false, 'nothing left to remove');
  assert.equal(await deleter.delete(5, 44), false);
});

test('an ISRC is found with or without its hyphens, however tagged', async () => {
  await index.add(await track(51, 7, { Title: 'Plain', ISRC: 'USEE11400516' }));
  await index.add(await track(52, 7, { Title: 'Dashed', ISRC: 'GB-AAA-83-00001' }));

  await expectFound(7, [
    ['USEE11400516', [51]],
    // Shown in hyphens, as catalogs print it: found only by its four
    // parts, so only a tag written in hyphens matched.
    ['US-EE1-14-00516', [51]],
    ['us-ee1-14-00516 plain', [51]],
    ['GBAAA8300001', [52]],
    ['GB-AAA-83-00001', [52]],
  ]);
});

test('a word joined by marks is found as typed without them', async () => {
  await index.add(await track(61, 8, { Title: "Don't Stop", Artist: 'Ann' }));
  await index.add(await track(62, 8, { Title: 'Sinner’s Prayer' }));
  await index.add(await track(63, 8, { Title: 'Hip-Hop Hooray', Artist: 'Ann' }));

  await expectFound(8, [
    // Found before only as "don't" or "don t": "dont" matched no word.
    ['dont stop', [61]],
    ['dont', [61]],
    ["don't", [61]],
    ['don t', [61]],
    ['sinners prayer', [62]],
    ["sinner's", [62]],
    ['sinner', [62]],
    ['hiphop', [63]],
    ['hip-hop', [63]],
    ['hip hooray', [63]],
  ]);
});

test('an ISRC in hyphens joined to more words is read as those words', async () => {
  // A file name or title that starts with the ISRC: its joined word is
  // indexed whole (`usee11400516final`), never the ISRC compact alone.
  await index.add(await track(71, 9, { Title: 'US-EE1-14-00516-Final Mix' }));
  await index.add(await track(72, 9, { Title: 'Take-GB-AAA-83-00001' }));

  await expectFound(9, [
    ['US-EE1-14-00516-Final', [71]],
    ['us-ee1-14-00516-final mix', [71]],
    ['Take-GB-AAA-83-00001', [72]],
  ]);
});
