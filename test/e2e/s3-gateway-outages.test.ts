/**
 * The gateway's uploads when its S3 store fails: a store that hangs
 * must not hold the site's upload slot once the client has gone, and a
 * store that is down answers a 503 the client can retry, not a 500.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys } from '@ingest/state';
import { parseS3Url, S3Storage } from '@ingest/storage';
import {
  makeTone,
  s3TestServer,
  startFixtureStack,
  tcpRelay,
  waitUntil,
  type FixtureStack,
  type S3TestServer,
  type TcpRelay,
} from '@ingest/testkit';

let s3: S3TestServer;
let relay: TcpRelay;
let fixture: FixtureStack;

before(async () => {
  s3 = await s3TestServer();
  relay = await tcpRelay(Number(new URL(s3.endpoint).port));
  const relayed = s3.storageUrl.replace(
    s3.endpoint,
    `http://127.0.0.1:${relay.port}`,
  );
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 'one.wav'), { seconds: 1 }),
    env: { ...s3.env, STORAGE_URL: relayed },
  });
});

after(async () => {
  await fixture?.close();
  await relay?.close();
  await s3?.close();
});

async function postFile(signal?: AbortSignal) {
  const { stack, site, dir } = fixture;
  const form = new FormData();
  const bytes = await readFile(path.join(dir, 'one.wav'));
  form.set('file', new Blob([bytes]), 'one.wav');
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
    { method: 'POST', body: form, signal },
  );
  return { status: res.status, body: (await res.json()) as any };
}

const slotHeld = async () =>
  (await fixture.stack.redis.exists(keys.uploadLock(fixture.site.id))) === 1;

test('a client gone from an upload to a hung store frees the slot at once', async () => {
  relay.mode = 'hang';
  try {
    await assert.rejects(postFile(AbortSignal.timeout(2_000)));
    // Were the write to the store not stopped with the client, the slot
    // would stay held until the write gave up: 30 s of silence at least.
    await waitUntil(async () => !(await slotHeld()), {
      timeoutMs: 15_000,
      message: 'the upload slot is still held after the client left',
    });
  } finally {
    relay.mode = 'pass';
  }
  const after = await postFile();
  assert.equal(after.status, 200, JSON.stringify(after.body));
});

test('an upload while the store is down answers 503, and goes once it is back', async () => {
  await s3.stop();
  try {
    const down = await postFile();
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.code, 'not_ready');
    assert.match(down.body.error, /storage is unavailable/);
    assert.equal(await slotHeld(), false);
  } finally {
    await s3.start();
  }
  const { status, body } = await postFile();
  assert.equal(status, 409, 'the same bytes as before: a duplicate');
  assert.equal(body.code, 'duplicate_upload');
});

test('deleting an upload while the store is down answers 503 and drops nothing', async () => {
  const { stack, site } = fixture;
  const { body: listed } = await stack.call('/api/import/list', site.token);
  const uploadId = listed.tracks[0].upload_id as number;
  const stored = await stack.store.uploadById(uploadId);
  const keysOf = Object.values(stored!.sources).map((s) => s.storageKey);
  assert.ok(keysOf.length > 0);
  const bucket = new S3Storage({
    location: parseS3Url(s3.storageUrl),
    credentials: s3.credentials,
  });
  const remove = () =>
    stack.call('/api/import/delete', site.token, { upload_id: uploadId });
  try {
    await s3.stop();
    try {
      const down = await remove();
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.code, 'not_ready');
    } finally {
      await s3.start();
    }
    assert.ok(await stack.store.uploadById(uploadId), 'the upload stays');
    for (const key of keysOf) assert.notEqual(await bucket.size(key), undefined);

    const retried = await remove();
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    for (const key of keysOf) assert.equal(await bucket.size(key), undefined, key);
  } finally {
    await bucket.close();
  }
});
