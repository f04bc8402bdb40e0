/**
 * End to end: a download is named after the track's Filename with the
 * rendition's extension (`song.wav` → `song.mp3`), not `<track id>.mp3`,
 * on 200, 206 and HEAD alike. A Filename is any text a client set: its
 * quotes, path, line breaks and non-ASCII letters must neither break the
 * header nor be lost (RFC 6266 `filename`, RFC 8187 `filename*`). A
 * track without one keeps the id. The SDK reads the exact name. A format
 * the track lacks is refused naming those it has.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IngestClient } from '@ingest/client';
import { startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { tone, trackCalls } from './track-kit';

let fixture: FixtureStack;
/** A published track of the first test, for the ones after it. */
let published: number | undefined;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      for (const [i, name] of ['song', 'a', 'b', 'c', 'd'].entries()) {
        await tone(dir, `${name}.wav`, 400 + 100 * i, { seconds: 1 });
      }
    },
  });
});

after(() => fixture?.close());

const { call, upload, publishAndWait, trackOfUpload } = trackCalls(() => fixture);

/** The Content-Disposition of a download of `trackId` as `format`. */
async function dispositionOf(
  trackId: number,
  format: string,
  init: RequestInit = {},
): Promise<{ status: number; disposition: string | null }> {
  const { stack, site } = fixture;
  const res = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
      `&format=${format}&token=${site.token}`,
    init,
  );
  await res.arrayBuffer();
  return { status: res.status, disposition: res.headers.get('content-disposition') };
}

test('downloads are named after the Filename, with the format as extension', async () => {
  const formats = 'mp3,wav';
  const uploads = {
    song: await upload('song.wav', { formats }),
    quoted: await upload('a.wav', {
      formats,
      'meta[Filename]': 'masters\\2024/Say "Hi"\r\nX-Evil: 1 – Björk.wav',
    }),
    japanese: await upload('b.wav', { formats, 'meta[Filename]': '日本語の歌.wav' }),
    plain: await upload('c.wav', { formats, 'meta[Filename]': "Rock 'n' Roll (Live).flac" }),
    nameless: await upload('d.wav', { formats }),
  };
  for (const [what, answer] of Object.entries(uploads)) {
    assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
  }
  const cleared = await call('setMetadata', {
    upload_id: uploads.nameless.body.upload_id,
    'meta[Filename]': '',
  });
  assert.equal(cleared.status, 200, JSON.stringify(cleared.body));

  const done = await publishAndWait();
  assert.deepEqual([done.d, done.e], [5, 0], JSON.stringify(done));
  const track: Record<string, number> = {};
  for (const [what, answer] of Object.entries(uploads)) {
    track[what] = await trackOfUpload(done.job_id, answer.body.upload_id);
  }
  published = track.quoted;

  const expected: [string, string, string][] = [
    ['song', 'mp3', 'attachment; filename=song.mp3'],
    ['song', 'wav', 'attachment; filename=song.wav'],
    [
      'quoted',
      'mp3',
      `attachment; filename="Say 'Hi'X-Evil: 1 _ Bjork.mp3"; ` +
        "filename*=UTF-8''Say%20%22Hi%22X-Evil%3A%201%20%E2%80%93%20Bj%C3%B6rk.mp3",
    ],
    [
      'japanese',
      'wav',
      `attachment; filename=${track.japanese}.wav; ` +
        "filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E6%AD%8C.wav",
    ],
    ['plain', 'mp3', `attachment; filename="Rock 'n' Roll (Live).mp3"`],
    ['nameless', 'mp3', `attachment; filename=${track.nameless}.mp3`],
  ];
  for (const [what, format, disposition] of expected) {
    const whole = await dispositionOf(track[what], format);
    assert.deepEqual(whole, { status: 200, disposition }, `${what} ${format}`);
    const part = await dispositionOf(track[what], format, { headers: { range: 'bytes=0-9' } });
    assert.deepEqual(part, { status: 206, disposition }, `${what} ${format}, a range`);
    const head = await dispositionOf(track[what], format, { method: 'HEAD' });
    assert.deepEqual(head, { status: 200, disposition }, `${what} ${format}, HEAD`);
  }

  // The SDK hands out the exact name.
  const { stack, site } = fixture;
  const client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
  for (const [what, name] of [
    ['quoted', 'Say "Hi"X-Evil: 1 – Björk.mp3'],
    ['japanese', '日本語の歌.mp3'],
    ['song', 'song.mp3'],
    ['nameless', `${track.nameless}.mp3`],
  ]) {
    const download = await client.download(track[what], 'mp3');
    await download.body.cancel();
    assert.equal(download.filename, name, what);
  }
});

test('a download is never sniffed into another type', async () => {
  // Its bytes begin with tags any client set (ID3 title, comment…).
  assert.ok(published, 'the first test published a track');
  const { stack, site } = fixture;
  const url =
    `${stack.gatewayUrl}/api/tracks/download?track_id=${published}` +
    `&token=${site.token}`;
  for (const [what, init] of [
    ['whole', {}],
    ['a range', { headers: { range: 'bytes=0-9' } }],
    ['HEAD', { method: 'HEAD' }],
  ] as [string, RequestInit][]) {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    assert.ok(res.ok, `${what}: ${res.status}`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  }
  const missing = await fetch(`${url}&format=flac`);
  const said = (await missing.json()) as Record<string, unknown>;
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
  // The refusal names the formats the track has, in text and as a list.
  assert.equal(said.code, 'rendition_missing');
  assert.equal(said.error, `track ${published} has no flac; it has mp3, wav`);
  assert.deepEqual(said.formats, ['mp3', 'wav']);
});
