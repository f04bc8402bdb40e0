/**
 * The S3 bucket disappears while the stack runs (deleted by mistake, a
 * wrong bucket policy) and comes back. Nothing may take that for "this
 * object is gone": downloads answer 503, not 404, and a published
 * upload waits rather than erroring `source_missing`; once the bucket
 * is back it is published.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeTone,
  s3TestServer,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type S3TestServer,
} from '@ingest/testkit';

let s3: S3TestServer;
let fixture: FixtureStack;

before(async () => {
  s3 = await s3TestServer();
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'a.wav'), { seconds: 1, frequency: 410 });
      await makeTone(path.join(dir, 'b.wav'), { seconds: 1, frequency: 520 });
    },
    env: { ...s3.env, LOG_LEVEL: 'warn' },
  });
});

after(async () => {
  await fixture?.close();
  await s3?.close();
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  fixture.stack.call(endpoint, fixture.site.token, params);

const service = (name: string) =>
  fixture.stack.services.find((s) => s.name === name)!;

async function readyz(name: string) {
  const res = await fetch(`http://127.0.0.1:${service(name).port}/readyz`);
  return { status: res.status, body: (await res.json()) as any };
}

test('a bucket gone mid-run: 503s, uploads wait, and all is well once it is back', async () => {
  const url = (name: string) => `${fixture.files.url}/${name}.wav`;
  const first = await call('/api/import/upload', { url: url('a') });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const { body: one } = await call('/api/import/publish');
  await fixture.stack.waitForJob(fixture.site.token, one.job_id);
  const { body: listed } = await call('/api/import/list', { job_id: one.job_id });
  const trackId = listed.tracks[0].track_id as number;
  const download = () =>
    call('/api/tracks/download', { track_id: trackId, format: 'mp3' });

  const second = await call('/api/import/upload', { url: url('b') });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  await s3.removeBucket();
  let jobId: number;
  try {
    for (const name of ['gateway', 'transcoder']) {
      const { status, body } = await readyz(name);
      assert.equal(status, 503, name);
      assert.match(body.reason, /bucket catalog does not exist/, name);
    }
    const gone = await download();
    assert.equal(gone.status, 503, JSON.stringify(gone.body));
    assert.equal(gone.body.code, 'not_ready');

    const { body: two } = await call('/api/import/publish');
    jobId = two.job_id;
    await waitUntil(
      () => /transcode put back: storage/.test(service('transcoder').logs),
      { timeoutMs: 30_000, message: 'the transcode was not put back' },
    );
    const upload = await fixture.stack.store.uploadById(second.body.upload_id);
    assert.notEqual(upload?.status, 'error', upload?.error);
  } finally {
    await s3.restoreBucket();
  }

  const done = await fixture.stack.waitForJob(fixture.site.token, jobId);
  assert.deepEqual([done.d, done.e], [1, 0], JSON.stringify(done));
  const back = await fetch(
    `${fixture.stack.gatewayUrl}/api/tracks/download?token=${fixture.site.token}` +
      `&track_id=${trackId}&format=mp3`,
  );
  assert.equal(back.status, 200);
  await back.arrayBuffer();
});
