/**
 * End to end: search through `/api/tracks/search` after the indexer (in
 * the notifier) has run, the gap between "published" and "searchable",
 * and `/api/tracks/delete`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

before(async () => {
  fixture = await startFixtureStack();
  ({ dir, files, stack, site } = fixture);
  other = await stack.createSite();
});

after(() => fixture?.close());

const search = (params: Record<string, unknown>, token = site.token) =>
  stack.call('/api/tracks/search', token, params);

let tones = 0;

/** A source of its own: a job refuses the same bytes twice. */
async function newTone() {
  tones += 1;
  const name = `tone-${tones}.wav`;
  await makeTone(path.join(dir, name), { seconds: 1 + tones / 10 });
  return `${files.url}/${name}`;
}

/** Uploads one track per meta, publishes, waits; answers the track ids. */
async function publishTracks(metas: Record<string, string>[]) {
  const uploadIds: number[] = [];
  for (const meta of metas) {
    const { status, body } = await stack.call('/api/import/upload', site.token, {
      url: await newTone(),
      formats: 'mp3',
      meta,
    });
    assert.equal(status, 200, JSON.stringify(body));
    uploadIds.push(body.upload_id);
  }
  const published = await stack.call('/api/import/publish', site.token);
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;
  const check = await stack.waitForJob(site.token, jobId);
  assert.equal(check.d, metas.length, JSON.stringify(check));

  const list = await stack.call('/api/import/list', site.token, {
    job_id: jobId,
  });
  return uploadIds.map(
    (id) => list.body.tracks.find((t: any) => t.upload_id === id).track_id,
  ) as number[];
}

/** Polls until `done` holds for the search answer of `s`. */
async function searchUntil(
  s: string,
  done: (body: any) => boolean,
  timeoutMs = 60_000,
) {
  let last: unknown;
  return waitUntil(
    async () => {
      const { status, body } = await search({ s });
      assert.equal(status, 200, JSON.stringify(body));
      last = body;
      return done(body) && body;
    },
    {
      timeoutMs,
      intervalMs: 200,
      message: () => `search "${s}" never settled: ${JSON.stringify(last)}`,
    },
  );
}

const idsOf = (body: any) => body.tracks.map((t: any) => t.track_id);

describe('search', () => {
  let cafe: number;
  let dawn: number;
  let blue: number;
  let newestFirst: number[];

  test('published tracks are found by their words once indexed', async () => {
    [cafe, dawn, blue] = await publishTracks([
      { Title: 'Café Señor Müller', Artist: 'Zoë Ångström' },
      { Title: '夜明けのスキャット', Artist: '由紀さおり', Genre: 'Kayōkyoku' },
      {
        Title: 'Blue Monday',
        Composer: 'Gillian Gilbert',
        Album: 'Power, Corruption',
        ISRC: 'GB-AAA-83-00001',
      },
    ]);
    const all = await searchUntil('', (body) => body.total === 3);
    // Track ids follow the order transcoding finished in.
    newestFirst = [blue, dawn, cafe].sort((a, b) => b - a);
    assert.deepEqual(idsOf(all), newestFirst, 'newest first');

    const found = await search({ s: 'cafe' });
    assert.deepEqual(Object.keys(found.body).sort(), [
      'pg',
      'show',
      'total',
      'tracks',
    ]);
    assert.deepEqual(
      [found.body.total, found.body.pg, found.body.show],
      [1, 0, 50],
    );
    const [track] = found.body.tracks;
    assert.equal(track.track_id, cafe);
    assert.equal(track.meta.Title, 'Café Señor Müller');
    assert.match(track.formats.mp3.url, /\/api\/tracks\/download\?track_id=/);

    const expect = async (s: string, ids: number[]) => {
      const { body } = await search({ s });
      assert.deepEqual(idsOf(body), ids, `search "${s}"`);
      assert.equal(body.total, ids.length, `total of "${s}"`);
    };
    await expect('MULLER señor', [cafe]);
    await expect('zoe angstrom', [cafe]);
    await expect('スキャット', [dawn]);
    await expect('夜明け', [dawn]);
    await expect('由紀', [dawn]);
    await expect('kayokyoku', [dawn]);
    await expect('blue mon', [blue]);
    await expect('gilbert', [blue]);
    await expect('corruption power', [blue]);
    await expect('GBAAA8300001', [blue]);
    await expect('blue cafe', []);
    await expect('nothing-like-this', []);
  });

  test('an untagged track is found by its file name stem', async () => {
    const name = 'Take1 Bridge.wav';
    await makeTone(path.join(dir, name), { seconds: 1.05 });
    const { status, body } = await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/${encodeURIComponent(name)}`,
      formats: 'mp3',
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.meta, { Filename: name });
    // A file name as a word among others (README, Search).
    const drums = 'take2.wav';
    await makeTone(path.join(dir, drums), { seconds: 1.15 });
    const tagged = await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/${drums}`,
      formats: 'mp3',
      meta: { Genre: 'Drums' },
    });
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    const published = await stack.call('/api/import/publish', site.token);
    assert.equal(published.status, 200, JSON.stringify(published.body));
    await stack.waitForJob(site.token, published.body.job_id);

    const found = await searchUntil('take1', (found) => found.total === 1);
    assert.deepEqual(found.tracks[0].meta, { Filename: name });
    const stem = await search({ s: 'bridge TAKE1' });
    assert.deepEqual(idsOf(stem.body), idsOf(found));
    // The extension is no word of the track (README, Search).
    const extension = await search({ s: 'take1 wav' });
    assert.equal(extension.body.total, 0);

    const second = await searchUntil('take2', (found) => found.total === 1);
    for (const s of ['take2.wav drums', 'Drums TAKE2.WAV', 'take2.wav, drums']) {
      const { body } = await search({ s });
      assert.deepEqual(idsOf(body), idsOf(second), `search "${s}"`);
    }
    // Every word still has to match one track: two names find neither.
    const both = await search({ s: 'take1.wav take2.wav' });
    assert.equal(both.body.total, 0);

    for (const track of [...found.tracks, ...second.tracks]) {
      await stack.call('/api/tracks/delete', site.token, {
        track_id: track.track_id,
      });
    }
  });

  test('pages, limits and other sites', async () => {
    const second = await search({ s: '', show: 1, pg: 1 });
    assert.deepEqual(
      [second.body.total, second.body.pg, second.body.show, idsOf(second.body)],
      [3, 1, 1, [newestFirst[1]]],
    );
    const past = await search({ s: '', show: 2, pg: 5 });
    assert.deepEqual([past.body.total, past.body.tracks], [3, []]);

    const capped = await search({ s: 'blue', show: 5000 });
    assert.equal(capped.body.show, 1000);
    // Any size is read as the most (README), as JSON and as a query.
    const huge = await search({ s: 'blue', show: 99_999_999_999 });
    assert.deepEqual([huge.status, huge.body.show], [200, 1000]);
    const query = await fetch(
      `${stack.gatewayUrl}/api/tracks/search?token=${site.token}` +
        `&s=blue&show=${'9'.repeat(40)}`,
    );
    assert.equal(query.status, 200);
    assert.equal(((await query.json()) as any).show, 1000);
    const exponent = await search({ s: 'blue', show: 1e300 });
    assert.deepEqual([exponent.status, exponent.body.show], [200, 1000]);
    const farPage = await search({ s: 'blue', pg: 1_000_000_000 });
    assert.deepEqual(
      [farPage.status, farPage.body.error, farPage.body.parameters],
      [400, 'pg must be a whole number from 0 to 999999999', ['pg']],
    );
    const lastPage = await search({ s: 'blue', pg: 999_999_999 });
    assert.deepEqual([lastPage.status, lastPage.body.tracks], [200, []]);
    const zero = await search({ s: 'blue', show: 0 });
    assert.equal(zero.status, 400);
    assert.equal(zero.body.code, 'invalid_parameter');

    // `s` as an object is refused alike in a query string and in JSON.
    const bracketed = await fetch(
      `${stack.gatewayUrl}/api/tracks/search?token=${site.token}&s[x]=a`,
    );
    const asJson = await search({ s: { x: 'a' } });
    for (const [status, body] of [
      [bracketed.status, await bracketed.json()],
      [asJson.status, asJson.body],
    ] as const) {
      assert.deepEqual(
        [status, (body as any).code, (body as any).error],
        [400, 'invalid_parameter', 's must be text'],
      );
    }
    // No word to look for: no track, where it used to be every track.
    for (const wordless of ['*', '\0', '🎵']) {
      const none = await search({ s: wordless });
      assert.deepEqual([none.status, none.body.total], [200, 0], wordless);
    }

    const foreign = await search({ s: 'cafe' }, other.token);
    assert.equal(foreign.status, 200);
    assert.deepEqual([foreign.body.total, foreign.body.tracks], [0, []]);
  });

  test('a published track is searchable only after the indexer ran', async () => {
    const notifier = stack.services.find(
      (s) => s.name === 'notifier' && s.child.exitCode === null,
    );
    assert.ok(notifier, 'a running notifier');
    assert.equal(await notifier.stop(), 0);

    const [late] = await publishTracks([{ Title: 'Unindexed Lullaby' }]);
    const download = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${late}` +
        `&token=${site.token}`,
    );
    assert.equal(download.status, 200, 'published: downloadable');
    assert.ok((await download.arrayBuffer()).byteLength > 1000);
    const before = await search({ s: 'lullaby' });
    assert.deepEqual([before.body.total, before.body.tracks], [0, []]);

    await stack.startService('notifier');
    const after = await searchUntil('lullaby', (body) => body.total === 1);
    assert.deepEqual(idsOf(after), [late]);
  });

  test('a deleted track is gone from getById, download and search', async () => {
    const foreign = await stack.call('/api/tracks/delete', other.token, {
      track_id: cafe,
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, 'not_found');

    const record = await stack.store.getTrack(site.id, cafe);
    assert.ok(record?.renditions.mp3);
    const file = path.join(stack.dataDir, 'storage', record.renditions.mp3.storageKey);
    assert.ok(existsSync(file), 'rendition stored');
    const { body: made } = await stack.call('/api/tracks/getById', site.token, {
      track_id: cafe,
    });
    const { job_id: jobId, upload_id: uploadId } = made.track;

    const deleted = await stack.call('/api/tracks/delete', site.token, {
      track_id: cafe,
    });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(deleted.body, {
      result: 'success',
      track_id: cafe,
      formats: ['mp3'],
    });
    assert.ok(!existsSync(file), 'rendition removed');

    // Never listed again, even before the indexer caught up.
    const soon = await search({ s: 'cafe' });
    assert.deepEqual(soon.body.tracks, []);
    await searchUntil('cafe', (body) => body.total === 0);
    const all = await search({ s: '' });
    assert.ok(!idsOf(all.body).includes(cafe));

    const getById = await stack.call('/api/tracks/getById', site.token, {
      track_id: cafe,
    });
    assert.equal(getById.status, 404);
    const download = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${cafe}` +
        `&token=${site.token}`,
    );
    assert.equal(download.status, 404);
    const again = await stack.call('/api/tracks/delete', site.token, {
      track_id: cafe,
    });
    assert.equal(again.status, 404);

    // The upload stays listed with the track id it had, no renditions.
    const list = await stack.call('/api/import/list', site.token, {
      job_id: jobId,
    });
    const row = list.body.tracks.find((t: any) => t.upload_id === uploadId);
    assert.deepEqual(
      [row?.track_id, row?.status, row?.renditions],
      [cafe, 'published', undefined],
      JSON.stringify(list.body),
    );
  });
});

describe('search while the indexer lags a delete', () => {
  test('total and pages leave deleted tracks out at once', async () => {
    const ids = await publishTracks([
      { Title: 'Lagging One' },
      { Title: 'Lagging Two' },
      { Title: 'Lagging Three' },
      { Title: 'Lagging Four' },
    ]);
    const newest = [...ids].sort((a, b) => b - a);
    await searchUntil('lagging', (body) => body.total === 4);

    const notifier = stack.services.find(
      (s) => s.name === 'notifier' && s.child.exitCode === null,
    );
    assert.ok(notifier, 'a running notifier');
    assert.equal(await notifier.stop(), 0);
    try {
      for (const trackId of newest.slice(0, 2)) {
        const deleted = await stack.call('/api/tracks/delete', site.token, {
          track_id: trackId,
        });
        assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      }
      const pages = [];
      for (const pg of [0, 1]) {
        const { body } = await search({ s: 'lagging', show: 1, pg });
        pages.push([body.total, idsOf(body)]);
      }
      assert.deepEqual(pages, [
        [2, [newest[2]]],
        [2, [newest[3]]],
      ]);
    } finally {
      await stack.startService('notifier');
    }
  });
});
