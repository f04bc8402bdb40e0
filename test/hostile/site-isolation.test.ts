/**
 * One site's ids in another site's hands: every endpoint answers 404
 * `not_found` as for an id that does not exist, leaks nothing of the
 * owner's, fetches no source, and changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  listenOnLoopback,
  makeTone,
  type LoopbackServer,
  type TestSite,
} from '@ingest/testkit';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
/** Requests the source host got: a refused call fetches nothing. */
let fetched = 0;
let site: TestSite;
let other: TestSite;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-isolation-'));
  const good = await makeTone(path.join(dir, 'good.wav'), { seconds: 1 });
  const bytes = await readFile(good);
  files = await listenOnLoopback(
    http.createServer((_req, res) => {
      fetched += 1;
      res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes);
    }),
  );
  stack = await TestStack.start();
  site = await stack.createSite();
  other = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

/** A new job of the site with good.wav uploaded into it. */
async function jobWithUpload(name: string) {
  const job = await call('createJob', { name });
  assert.equal(job.status, 200, JSON.stringify(job.body));
  const { status, body } = await call('upload', {
    url: `${files.url}/good.wav`,
    job_id: job.body.job_id,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return { jobId: job.body.job_id as number, uploadId: body.upload_id };
}

test("another site's ids answer 404 and change nothing", async () => {
  const { jobId, uploadId } = await jobWithUpload('published');
  await call('publish', { job_id: jobId });
  await stack.waitForJob(site.token, jobId);
  const list = await call('list', { job_id: jobId });
  const trackId = list.body.tracks[0].track_id;
  assert.ok(trackId, JSON.stringify(list.body));

  const { jobId: openJob, uploadId: waitingId } =
    await jobWithUpload('still open');

  const url = `${files.url}/good.wav`;
  const cases: Array<[string, Record<string, unknown>]> = [
    ['/api/import/upload', { url, job_id: openJob }],
    ['/api/import/upload', { url, upload_id: waitingId }],
    ['/api/import/upload', { url, track_id: trackId }],
    ['/api/import/setMetadata', { upload_id: waitingId, meta: { Title: 'x' } }],
    ['/api/import/setFormats', { upload_id: waitingId, formats: 'mp3' }],
    ['/api/import/publish', { job_id: openJob }],
    ['/api/import/checkJob', { job_id: jobId }],
    ['/api/import/list', { job_id: jobId }],
    ['/api/import/delete', { upload_id: waitingId }],
    ['/api/import/delete', { upload_id: uploadId }],
    ['/api/tracks/getById', { track_id: trackId }],
    ['/api/tracks/download', { track_id: trackId }],
    ['/api/tracks/delete', { track_id: trackId }],
  ];
  const fetchedBefore = fetched;
  for (const [endpoint, params] of cases) {
    const answer = await stack.call(endpoint, other.token, params);
    const shown = `${endpoint} ${JSON.stringify(answer.body)}`;
    assert.equal(answer.status, 404, shown);
    assert.equal(answer.body.code, 'not_found', shown);
    assert.ok(!JSON.stringify(answer.body).includes('good.wav'), shown);
  }

  assert.equal(fetched, fetchedBefore, 'a refused upload fetched its URL');

  // Nothing of the owner's changed.
  const track = await stack.call('/api/tracks/getById', site.token, {
    track_id: trackId,
  });
  assert.equal(track.status, 200);
  const job = await call('checkJob', { job_id: openJob });
  assert.deepEqual([job.body.state, job.body.q], ['open', 1]);
  const still = await call('list', { job_id: openJob });
  assert.equal(still.body.tracks[0].upload_id, waitingId);
  const done = await call('list', { job_id: jobId });
  assert.equal(done.body.tracks[0].status, 'published');
});
