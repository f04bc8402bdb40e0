/**
 * Several machines' worth of services: two gateways, two transcoders and
 * a notifier as separate processes, each with its own private data
 * folder, sharing only Redis and an S3-compatible store (s3rver on
 * loopback). A job goes through end to end and every file is fetched
 * back, through the gateway and by a presigned redirect.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { S3Storage, parseS3Url } from '@ingest/storage';
import {
  ffprobe,
  makeTone,
  s3TestServer,
  startFixtureStack,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type S3TestServer,
  type ServiceProcess,
  type TestSite,
  type TestStack,
  type WebhookReceiver,
} from '@ingest/testkit';

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let s3: S3TestServer;
let bucket: S3Storage;
let stack: TestStack;
let redirecting: ServiceProcess;
let site: TestSite;
let receiver: WebhookReceiver;

async function writeFixtures(dir: string) {
  await makeTone(path.join(dir, 'one.wav'), {
    seconds: 3,
    tags: { title: 'Node One' },
  });
  await makeTone(path.join(dir, 'two.flac'), { seconds: 2, codec: 'flac' });
}

before(async () => {
  s3 = await s3TestServer();
  bucket = new S3Storage({
    location: parseS3Url(s3.storageUrl),
    credentials: s3.credentials,
  });
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    env: { ...s3.env, TRANSCODER_CONCURRENCY: '1' },
    transcoders: 2,
    perServiceDataDirs: true,
  });
  ({ dir, files, stack, site } = fixture);
  // A second gateway that answers downloads with presigned redirects.
  redirecting = await stack.startService('gateway', undefined, {
    INGEST_DOWNLOAD_MODE: 'redirect',
    INGEST_DOWNLOAD_URL_TTL: '2m',
  });
  receiver = await webhookReceiver(site.secret);
});

after(async () => {
  await receiver?.close();
  await fixture?.close();
  await bucket?.close();
  await s3?.close();
});

const sha256 = (bytes: Buffer) =>
  createHash('sha256').update(bytes).digest('hex');

async function probeBytes(bytes: Buffer, format: string) {
  const file = path.join(dir, `probe-${sha256(bytes).slice(0, 8)}.${format}`);
  await writeFile(file, bytes);
  const probed = await ffprobe(file);
  return {
    audio: probed.streams.filter((s) => s.codec_type === 'audio').length,
    duration: Number(probed.format.duration),
  };
}

let tracks: Array<{ track_id: number; formats: Record<string, any> }>;

test('a job goes through gateway, two transcoders and the notifier', async () => {
  for (const name of ['one.wav', 'two.flac']) {
    const upload = await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/${name}`,
    });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
  }
  const published = await stack.call('/api/import/publish', site.token, {
    oncomplete: receiver.url,
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));

  const [hook] = await receiver.waitFor(1, 180_000).catch((err) => {
    throw new Error(`${err.message}\n${stack.logs}`);
  });
  assert.ok(hook.verified, 'webhook signature verifies');
  assert.deepEqual(hook.body.counts, { q: 0, i: 0, d: 2, e: 0 });
  tracks = hook.body.tracks as typeof tracks;
  assert.equal(tracks.length, 2);

  const check = await stack.waitForJob(site.token, published.body.job_id);
  assert.equal(check.state, 'complete');
});

test('renditions live in the bucket, not on any node', async () => {
  for (const track of tracks) {
    const record = await stack.store.getTrack(site.id, track.track_id);
    assert.ok(record, `track ${track.track_id} is stored`);
    for (const [format, facts] of Object.entries(track.formats)) {
      const key: string = record.renditions[format as 'mp3']?.storageKey ?? format;
      assert.equal(await bucket.size(key), facts.bytes, key);
    }
  }

  // Each service's private folder ends with no file in it: sources
  // and renditions went to the bucket, local copies were released.
  const left: string[] = [];
  for (const entry of await readdir(stack.dataDir, {
    recursive: true,
    withFileTypes: true,
  })) {
    if (!entry.isDirectory()) left.push(path.join(entry.parentPath, entry.name));
  }
  assert.deepEqual(left, []);
});

test('downloads through the gateway stream from S3, ranges too', async () => {
  const track = tracks[0];
  for (const [format, facts] of Object.entries(track.formats)) {
    const res = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${track.track_id}` +
        `&format=${format}&token=${site.token}`,
    );
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), facts.bytes);
    assert.equal(sha256(bytes), facts.sha256);
    assert.equal(res.headers.get('etag'), `"${facts.sha256}"`);
    const probed = await probeBytes(bytes, format);
    assert.equal(probed.audio, 1);
    assert.ok(Math.abs(probed.duration - facts.duration) < 0.06, format);
  }

  const part = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${track.track_id}` +
      `&token=${site.token}`,
    { headers: { range: 'bytes=100-199' } },
  );
  assert.equal(part.status, 206);
  assert.equal(
    part.headers.get('content-range'),
    `bytes 100-199/${track.formats.mp3.bytes}`,
  );
  assert.equal((await part.arrayBuffer()).byteLength, 100);

  // A part of another version: the whole file instead.
  const stale = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${track.track_id}` +
      `&token=${site.token}`,
    { headers: { range: 'bytes=100-199', 'if-range': '"stale"' } },
  );
  assert.equal(stale.status, 200);
  const whole = Buffer.from(await stale.arrayBuffer());
  assert.equal(sha256(whole), track.formats.mp3.sha256);
});

test('redirect mode answers 302 to a presigned URL that serves the file', async () => {
  const base = `http://127.0.0.1:${redirecting.port}`;
  const names: (string | null)[] = [];
  for (const track of tracks) {
    const mp3 = track.formats.mp3;
    const res = await fetch(
      `${base}/api/tracks/download?track_id=${track.track_id}` +
        `&format=mp3&token=${site.token}`,
      { redirect: 'manual' },
    );
    assert.equal(res.status, 302);
    // Validators of a 302 would describe the redirect, not the file.
    assert.equal(res.headers.get('etag'), null);
    const location = res.headers.get('location') ?? '';
    assert.ok(location.startsWith(`${s3.endpoint}/catalog/tracks/`), location);
    assert.match(location, /X-Amz-Expires=120&/);

    const file = await fetch(location);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'audio/mpeg');
    names.push(file.headers.get('content-disposition'));
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(sha256(bytes), mp3.sha256);
    assert.equal((await probeBytes(bytes, 'mp3')).audio, 1);
  }
  // Named after the sources' Filenames, as the gateway names them.
  assert.deepEqual(names.sort(), [
    'attachment; filename=one.mp3',
    'attachment; filename=two.mp3',
  ]);

  // Authorization still comes first: a wrong token gets no URL.
  const denied = await fetch(
    `${base}/api/tracks/download?track_id=${tracks[0].track_id}&token=nope`,
    { redirect: 'manual' },
  );
  assert.equal(denied.status, 401);
});

test('every Redis key the run made sits under the {ingest} hash tag', async () => {
  const keys = await stack.redis.keys('*');
  assert.ok(keys.length > 20, `only ${keys.length} keys`);
  const kinds = new Set(keys.map((k) => k.split(':')[1]));
  for (const queue of ['transcode', 'completion', 'webhook', 'index']) {
    assert.ok(kinds.has(queue), `BullMQ keys of ${queue}`);
  }
  assert.deepEqual(
    keys.filter((k) => !k.startsWith('{ingest}:')),
    [],
  );
});
