/**
 * End to end: downloads carry validators (ETag = the rendition's sha256,
 * Last-Modified) and honour If-Range, If-None-Match, If-Modified-Since
 * and If-Match, so a resumed download never joins two versions of a
 * file that an immediate track update replaced in between.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';
import { HZ, sha256, tone, trackCalls } from './track-kit';

let fixture: FixtureStack;

// 8 s of 16-bit stereo: about 1.4 MB, so the first million bytes are
// a part of the file, as a download cut short would leave.
const LONG = { seconds: 8 };
const PART = 1_000_000;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'first.wav', HZ.songWav, LONG);
      await tone(dir, 'second.wav', HZ.laterWav, LONG);
    },
  });
});

after(() => fixture?.close());

const { upload, getTrack, publishAndWait, trackOfUpload } = trackCalls(
  () => fixture,
);

/** A download of the track's wav with the given request headers. */
async function fetchWav(
  trackId: number,
  headers: Record<string, string> = {},
  method = 'GET',
) {
  const { stack, site } = fixture;
  const res = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
      `&format=wav&token=${site.token}`,
    { method, headers },
  );
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, header: (name: string) => res.headers.get(name) };
}

describe('download validators', () => {
  let trackId: number;
  let wav: { bytes: number; sha256: string };
  let etag: string;
  let lastModified: string;

  before(async () => {
    const first = await upload('first.wav');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const done = await publishAndWait();
    trackId = await trackOfUpload(done.job_id, first.body.upload_id);
    wav = (await getTrack(trackId)).formats.wav;
    assert.ok(wav.bytes > PART, `wav of ${wav.bytes} bytes`);
    etag = `"${wav.sha256}"`;
  });

  test('200, 206 and HEAD carry the sha256 as ETag and Last-Modified', async () => {
    const whole = await fetchWav(trackId);
    assert.equal(whole.res.status, 200);
    assert.equal(sha256(whole.body), wav.sha256);

    const part = await fetchWav(trackId, { range: 'bytes=0-99' });
    assert.equal(part.res.status, 206);
    const head = await fetchWav(trackId, {}, 'HEAD');
    assert.equal(head.res.status, 200);
    assert.equal(head.body.length, 0);

    for (const answer of [whole, part, head]) {
      assert.equal(answer.header('etag'), etag);
      assert.equal(answer.header('cache-control'), 'private, no-cache');
    }
    lastModified = whole.header('last-modified') ?? '';
    const stored = Date.parse(lastModified);
    assert.ok(Number.isFinite(stored), `Last-Modified: ${lastModified}`);
    assert.ok(stored <= Date.now() && stored > Date.now() - 600_000);
    assert.equal(part.header('last-modified'), lastModified);
    assert.equal(head.header('last-modified'), lastModified);
  });

  test('If-Range naming this version gives the range, a stale one all', async () => {
    const range = `bytes=${PART}-`;
    for (const current of [etag, lastModified]) {
      const resumed = await fetchWav(trackId, { range, 'if-range': current });
      assert.equal(resumed.res.status, 206, `If-Range: ${current}`);
      assert.equal(resumed.body.length, wav.bytes - PART);
    }

    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    for (const stale of ['"stale"', `W/${etag}`, earlier]) {
      const whole = await fetchWav(trackId, { range, 'if-range': stale });
      assert.equal(whole.res.status, 200, `If-Range: ${stale}`);
      assert.equal(whole.header('content-range'), null);
      assert.equal(sha256(whole.body), wav.sha256);
    }
  });

  test('If-None-Match and If-Modified-Since answer 304 while unchanged', async () => {
    const conditions: Record<string, string>[] = [
      { 'if-none-match': etag },
      { 'if-none-match': `"other", ${etag}` },
      { 'if-modified-since': lastModified },
    ];
    for (const headers of conditions) {
      const cached = await fetchWav(trackId, headers);
      assert.equal(cached.res.status, 304, JSON.stringify(headers));
      assert.equal(cached.body.length, 0);
      assert.equal(cached.header('etag'), etag);
    }
    const changed = await fetchWav(trackId, { 'if-none-match': '"other"' });
    assert.equal(changed.res.status, 200);
    assert.equal(sha256(changed.body), wav.sha256);
  });

  test('a POST download with a matching If-None-Match fails with 412', async () => {
    const post = await fetchWav(trackId, { 'if-none-match': etag }, 'POST');
    assert.equal(post.res.status, 412);
    const refused = JSON.parse(post.body.toString('utf8'));
    assert.equal(refused.code, 'precondition_failed');
    // The file did not change: the message must not say it did.
    assert.match(refused.error, /still the version If-None-Match names/);
    // If-Modified-Since means nothing to a POST: the file comes.
    const dated = await fetchWav(
      trackId,
      { 'if-modified-since': lastModified },
      'POST',
    );
    assert.equal(dated.res.status, 200);
    assert.equal(sha256(dated.body), wav.sha256);
  });

  test('a range outside the file answers 416 with a JSON error', async () => {
    const outside = await fetchWav(trackId, { range: `bytes=${wav.bytes}-` });
    assert.equal(outside.res.status, 416);
    assert.equal(outside.header('content-range'), `bytes */${wav.bytes}`);
    const body = JSON.parse(outside.body.toString('utf8'));
    assert.equal(body.code, 'range_not_satisfiable');
    assert.equal(typeof body.error, 'string');
  });

  test('If-Match of another version fails with 412', async () => {
    const failed = await fetchWav(trackId, {
      'if-match': '"other"',
      range: 'bytes=0-9',
    });
    assert.equal(failed.res.status, 412);
    const body = JSON.parse(failed.body.toString('utf8'));
    assert.equal(body.code, 'precondition_failed');
    assert.equal(typeof body.error, 'string');

    const held = await fetchWav(trackId, { 'if-match': etag, range: 'bytes=0-9' });
    assert.equal(held.res.status, 206);
    assert.equal(held.body.length, 10);
  });

  test('a resume across an immediate update gets the new file whole', async () => {
    // The first million bytes of the current version, as curl -r leaves.
    const part = await fetchWav(trackId, { range: `bytes=0-${PART - 1}` });
    assert.equal(part.res.status, 206);
    const oldTag = part.header('etag')!;
    const oldDate = part.header('last-modified')!;

    const update = await upload('second.wav', {
      track_id: trackId,
      immediate: 1,
      format: 'wav',
    });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    const fresh = await waitUntil(
      async () => {
        const now = (await getTrack(trackId)).formats.wav;
        return now.sha256 !== wav.sha256 && now;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );

    const now = await fetchWav(trackId, {}, 'HEAD');
    assert.equal(now.header('etag'), `"${fresh.sha256}"`);
    assert.notEqual(now.header('etag'), oldTag);
    // An update within the second of the version it replaces is dated
    // the next second, and sent once that second has come: at most 1 s
    // from now; the rest is room for the HEAD calls on a loaded machine.
    const newDate = await waitUntil(
      async () => (await fetchWav(trackId, {}, 'HEAD')).header('last-modified'),
      {
        timeoutMs: 5_000,
        intervalMs: 100,
        message: 'no Last-Modified for the new version',
      },
    );
    assert.ok(Date.parse(newDate) > Date.parse(oldDate), newDate);

    for (const validator of [oldTag, oldDate]) {
      const rest = await fetchWav(trackId, {
        range: `bytes=${PART}-`,
        'if-range': validator,
      });
      assert.equal(rest.res.status, 200, `If-Range: ${validator}`);
      assert.equal(rest.body.length, fresh.bytes);
      assert.equal(sha256(rest.body), fresh.sha256);
    }

    const revalidated = await fetchWav(trackId, { 'if-none-match': oldTag });
    assert.equal(revalidated.res.status, 200);
    assert.equal(sha256(revalidated.body), fresh.sha256);
    const resumed = await fetchWav(trackId, {
      range: `bytes=${PART}-`,
      'if-range': `"${fresh.sha256}"`,
    });
    assert.equal(resumed.res.status, 206);
    assert.equal(resumed.body.length, fresh.bytes - PART);
  });
});
