/**
 * End to end on S3: a download reads the rendition's size (HEAD) and
 * then its bytes (GET) in two requests to the store. An immediate track
 * update that replaces the file and deletes the old object between the
 * two must not cut the download off without an answer: the gateway
 * reads the track again and serves the new file, with its own ETag.
 * A store that answers the HEAD and then never the GET gets a 503 the
 * client can retry, also not a cut connection.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import {
  forwardRequest,
  listenOnLoopback,
  s3TestServer,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type LoopbackServer,
  type S3TestServer,
} from '@ingest/testkit';
import { sha256, tone, trackCalls } from './track-kit';

/**
 * A proxy in front of the S3 server that, while armed, holds every GET
 * of a rendition (a key under `tracks/`) until released. HEADs, writes
 * and deletes pass, and so does every request of the transcoder: a
 * wav-only track updated without meta makes it read no rendition.
 */
async function holdingProxy(target: string) {
  const upstream = new URL(target);
  const held: Array<() => void> = [];
  let armed = false;
  const server = http.createServer((req, res) => {
    const go = () => {
      // One the gateway gave up on waiting goes nowhere: its answer
      // would hold a connection to the S3 server that nobody reads.
      if (req.socket.destroyed) return;
      const forward = forwardRequest(upstream, req, res, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      res.on('close', () => forward.destroy());
      req.pipe(forward);
    };
    const rendition = /\/tracks\//.test(req.url ?? '');
    if (armed && req.method === 'GET' && rendition) held.push(go);
    else go();
  });
  const listening: LoopbackServer = await listenOnLoopback(server);
  return {
    ...listening,
    arm: () => {
      armed = true;
    },
    heldCount: () => held.length,
    /** Disarms, then lets the held GETs go on. */
    release: () => {
      armed = false;
      for (const go of held.splice(0)) go();
    },
  };
}

let s3: S3TestServer;
let proxy: Awaited<ReturnType<typeof holdingProxy>>;
let fixture: FixtureStack;
let trackId: number | undefined;

before(async () => {
  s3 = await s3TestServer();
  proxy = await holdingProxy(s3.endpoint);
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'first.wav', 500);
      for (let i = 1; i <= 3; i++) await tone(dir, `next${i}.wav`, 500 + i * 200);
    },
    env: {
      ...s3.env,
      STORAGE_URL: s3.storageUrl.replace(s3.endpoint, proxy.url),
    },
  });
});

after(async () => {
  await fixture?.close();
  await proxy?.close();
  await s3?.close();
});

const { upload, getTrack, publishAndWait, trackOfUpload } = trackCalls(
  () => fixture,
);

/** Replaces the track's wav at once and waits until that is done. */
async function updateNow(trackId: number, name: string) {
  const { status, body } = await upload(name, {
    track_id: trackId,
    immediate: 1,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return waitUntil(
    async () => {
      const track = await getTrack(trackId);
      const update = track.updates.find(
        (u: any) => u.update_id === body.update_id,
      );
      assert.notEqual(update.status, 'error', JSON.stringify(update));
      return update.status === 'published' && track;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

/** A download whose GET of the file waits until the file was replaced. */
async function downloadAcrossUpdate(
  trackId: number,
  next: string,
  headers: Record<string, string>,
) {
  const { stack, site } = fixture;
  proxy.arm();
  const answer = fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
      `&format=wav&token=${site.token}`,
    { headers },
  ).then(
    async (res) => ({ res, body: Buffer.from(await res.arrayBuffer()) }),
    (err: Error) => ({ failed: `${err.message}: ${err.cause ?? ''}` }),
  );
  try {
    await waitUntil(async () => proxy.heldCount() === 1, {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    const updated = await updateNow(trackId, next);
    return { updated, answer };
  } finally {
    proxy.release();
  }
}

test('a download whose file is replaced before it is read gets the new one', async () => {
  const first = await upload('first.wav', { formats: 'wav' });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const done = await publishAndWait();
  trackId = await trackOfUpload(done.job_id, first.body.upload_id);
  const old = `"${(await getTrack(trackId)).formats.wav.sha256}"`;

  const cases: Array<[string, Record<string, string>, number]> = [
    ['next1.wav', {}, 200],
    ['next2.wav', { range: 'bytes=100-199' }, 206],
    // The client holds the old version: a range of the new one would
    // join two files, so it gets the new one whole.
    ['next3.wav', { range: 'bytes=100-', 'if-range': old }, 200],
  ];
  for (const [next, headers, status] of cases) {
    const { updated, answer } = await downloadAcrossUpdate(
      trackId,
      next,
      headers,
    );
    const got = await answer;
    assert.ok('res' in got, `${next}: ${'failed' in got && got.failed}`);
    const { res, body } = got;
    assert.equal(res.status, status, `${next}: ${body.toString().slice(0, 200)}`);
    const { sha256: now, bytes } = updated.formats.wav;
    assert.equal(res.headers.get('etag'), `"${now}"`);
    if (status === 200) {
      assert.equal(sha256(body), now);
    } else {
      assert.equal(res.headers.get('content-range'), `bytes 100-199/${bytes}`);
      const whole = await fetch(
        `${fixture.stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
          `&format=wav&token=${fixture.site.token}`,
      );
      const all = Buffer.from(await whole.arrayBuffer());
      assert.equal(sha256(all), now);
      assert.deepEqual(body, all.subarray(100, 200));
    }
  }
});

test('a store that answers the HEAD but never the GET: 503, not a cut', async () => {
  const { stack, site } = fixture;
  assert.ok(trackId, 'the track of the first test');
  proxy.arm();
  try {
    // The store's silence lasts past the S3 client's idle time (30 s).
    const res = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
        `&format=wav&token=${site.token}`,
    );
    assert.equal(res.status, 503);
    const answer = (await res.json()) as { code: string };
    assert.equal(answer.code, 'not_ready');
  } finally {
    proxy.release();
  }
});
