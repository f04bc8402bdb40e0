/**
 * End to end: `setMetadata` and `setFormats` racing other calls on the
 * same waiting upload, through two gateways. Each change is made to the
 * upload as it is when it is written, and only while it still waits:
 * two merges keep both, a change that meets a delete or a publish first
 * is refused rather than written after it. Writes to Redis are held
 * (`holdWrites`) so the calls read, then write, in a fixed order; the
 * stack has no transcoder, so a published upload stays `queued`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  holdWrites,
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { createRedis } from '@ingest/queue';
import { keys, StateStore } from '@ingest/state';

let fixture: FixtureStack;
let second: string;
let tone = 0;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 6),
    transcoders: 0,
  });
  const gateway = await fixture.stack.startService('gateway');
  second = `http://127.0.0.1:${gateway.port}`;
});

after(() => fixture?.close());

/** An API call through the first gateway, or the second one. */
async function call(
  endpoint: string,
  params: Record<string, unknown>,
  via: 'first' | 'second' = 'first',
): Promise<{ status: number; body: any }> {
  const base = via === 'first' ? fixture.stack.gatewayUrl : second;
  const res = await fetch(`${base}/api/import/${endpoint}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${fixture.site.token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: await res.json() };
}

/** A waiting upload in a job of its own. */
async function waitingUpload(): Promise<{ uploadId: number; jobId: number }> {
  const job = await call('createJob', { name: 'race' });
  assert.equal(job.status, 200, JSON.stringify(job.body));
  const jobId = job.body.job_id as number;
  const uploaded = await call('upload', {
    job_id: jobId,
    url: `${fixture.files.url}/tone-${++tone}.wav`,
    meta: { Title: 'first' },
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  return { uploadId: uploaded.body.upload_id as number, jobId };
}

/** Sends `calls` in this order, each held at its first write, then lets go. */
async function raced(calls: Array<() => Promise<{ status: number; body: any }>>) {
  const hold = await holdWrites(fixture.stack.redis);
  const answers: Array<Promise<{ status: number; body: any }>> = [];
  try {
    for (const [n, send] of calls.entries()) {
      answers.push(send());
      await hold.waitForHeld(n + 1);
    }
  } finally {
    await hold.release();
  }
  return Promise.all(answers);
}

test('two setMetadata calls at once both land', async () => {
  const { uploadId } = await waitingUpload();

  const [artist, album] = await raced([
    () => call('setMetadata', { upload_id: uploadId, meta: { Artist: 'A' } }),
    () =>
      call(
        'setMetadata',
        { upload_id: uploadId, meta: { Album: 'B' } },
        'second',
      ),
  ]);
  assert.equal(artist.status, 200, JSON.stringify(artist.body));
  assert.equal(album.status, 200, JSON.stringify(album.body));

  const stored = await fixture.stack.store.uploadById(uploadId);
  assert.deepEqual(
    { Title: stored?.meta.Title, Artist: stored?.meta.Artist },
    { Title: 'first', Artist: 'A' },
  );
  assert.equal(stored?.meta.Album, 'B');
});

test('setMetadata after a delete it raced is not found, leaving no key', async () => {
  const { uploadId } = await waitingUpload();

  const [deleted, changed] = await raced([
    () => call('delete', { upload_id: uploadId }),
    () =>
      call(
        'setMetadata',
        { upload_id: uploadId, meta: { Artist: 'late' } },
        'second',
      ),
  ]);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal(changed.status, 404, JSON.stringify(changed.body));
  assert.equal(changed.body.code, 'not_found');
  assert.equal(await fixture.stack.redis.exists(keys.upload(uploadId)), 0);
});

test('setFormats after a publish it raced is refused, formats unchanged', async () => {
  const { uploadId, jobId } = await waitingUpload();
  // The close a publish makes, sent as the gateway sends it. Not the
  // publish call itself: its first write is the hand-over check, so it
  // would be held there, and setFormats would land before the close.
  const own = createRedis(fixture.stack.redisServer.url);
  const closer = new StateStore(own);

  try {
    const [closed, changed] = await raced([
      async () => ({ status: 200, body: await closer.publish(jobId) }),
      () =>
        call(
          'setFormats',
          { upload_id: uploadId, formats: 'mp3,wav,flac' },
          'second',
        ),
    ]);
    assert.deepEqual(closed.body, { queued: [uploadId], updates: [] });
    assert.equal(changed.status, 409, JSON.stringify(changed.body));
    assert.equal(changed.body.code, 'upload_not_queued');
    assert.equal(changed.body.status, 'queued');
  } finally {
    own.disconnect();
  }

  const stored = await fixture.stack.store.uploadById(uploadId);
  assert.deepEqual(stored?.formats.sort(), ['mp3', 'wav']);
});
