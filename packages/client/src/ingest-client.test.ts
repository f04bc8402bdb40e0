import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  makeTone,
  serveFiles,
  TestStack,
  type LoopbackServer,
} from '@ingest/testkit';
import {
  IngestApiError,
  IngestClient,
  IngestNetworkError,
  JobTimeoutError,
  type JobProgress,
  type RetryEvent,
  type UploadResult,
} from './index';
import { flakyProxy } from './testing/flaky-proxy';

describe('IngestClient against the real stack', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let files: LoopbackServer;
  let dir: string;
  let client: IngestClient;
  const uploads: number[] = [];
  let publishedTrack: number | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-client-'));
    await makeTone(path.join(dir, 'by-url.wav'), {
      seconds: 2,
      codec: 'pcm_s16le',
      tags: { title: 'Tagged Title', artist: 'Tagged Artist' },
    });
    await makeTone(path.join(dir, 'from-disk.flac'), { seconds: 2 });
    await makeTone(path.join(dir, 'streamed.mp3'), {
      seconds: 2,
      codec: 'libmp3lame',
    });
    stack = await TestStack.start();
    files = await serveFiles(dir);
    const site = await stack.createSite();
    client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
  });

  after(async () => {
    await files?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads by URL and reads the file tags', async () => {
    const answer = (await client.upload({
      url: `${files.url}/by-url.wav`,
    })) as UploadResult;

    assert.equal(answer.status, 'uploaded');
    assert.deepEqual(answer.sources, ['wav']);
    assert.deepEqual(answer.formats, ['mp3', 'wav']);
    assert.equal(answer.meta.Title, 'Tagged Title');
    uploads.push(answer.upload_id);
  });

  it('uploads a local file from its path with meta and formats', async () => {
    const answer = (await client.upload(
      { file: path.join(dir, 'from-disk.flac') },
      { meta: { Title: 'From Disk', Genre: 'Ambient' }, formats: ['mp3', 'flac'] },
    )) as UploadResult;

    assert.deepEqual(answer.sources, ['flac']);
    assert.deepEqual(answer.formats, ['mp3', 'flac']);
    assert.equal(answer.meta.Title, 'From Disk');
    assert.equal(answer.meta.Filename, 'from-disk.flac');
    uploads.push(answer.upload_id);
  });

  it('uploads a stream of unknown length', async () => {
    const answer = (await client.upload({
      file: createReadStream(path.join(dir, 'streamed.mp3')),
      filename: 'streamed.mp3',
    })) as UploadResult;

    assert.deepEqual(answer.sources, ['mp3']);
    uploads.push(answer.upload_id);
  });

  it('merges metadata into a queued upload', async () => {
    const answer = await client.setMetadata(uploads[0], {
      Title: 'Renamed',
      'Custom: External ID': 'X-1',
      Artist: '',
    });

    assert.equal(answer.meta.Title, 'Renamed');
    assert.equal(answer.meta['Custom: External ID'], 'X-1');
    assert.equal(answer.meta.Artist, undefined);
  });

  it('sets formats and lists the fields', async () => {
    const answer = await client.setFormats(uploads[2], ['mp3', 'wav']);
    // streamed.mp3 is lame's default 128 kb/s: its mp3 is encoded too.
    assert.deepEqual(answer.track.added, ['mp3', 'wav']);

    const fields = await client.getAvailableFields();
    assert.ok(fields.fields.includes('Title'));
    assert.deepEqual(fields.custom_fields, ['Custom: External ID']);
  });

  it('throws a typed error naming unknown fields; nothing applied', async () => {
    const error = await client
      .setMetadata(uploads[0], { Title: 'Nope', Bogus: 'x', Mood2: 'y' })
      .catch((err: unknown) => err);

    assert.ok(error instanceof IngestApiError);
    assert.equal(error.code, 'unknown_fields');
    assert.equal(error.status, 400);
    assert.deepEqual(error.body.fields, ['Bogus', 'Mood2']);
    assert.equal(error.endpoint, '/api/import/setMetadata');
    const listed = await client.setMetadata(uploads[0], {});
    assert.equal(listed.meta.Title, 'Renamed');
  });

  it('throws unauthorized for a bad token, not_found for a foreign job', async () => {
    const stranger = new IngestClient({
      url: stack.gatewayUrl,
      token: 'not-a-token',
    });
    const denied = await stranger.checkJob().catch((err: unknown) => err);
    assert.ok(denied instanceof IngestApiError);
    assert.equal(denied.code, 'unauthorized');
    assert.equal(denied.status, 401);

    const other = await stack.createSite();
    const otherClient = new IngestClient({
      url: stack.gatewayUrl,
      token: other.token,
    });
    const { job_id } = await client.checkJob();
    const hidden = await otherClient.list(job_id).catch((err: unknown) => err);
    assert.ok(hidden instanceof IngestApiError);
    assert.equal(hidden.code, 'not_found');
    assert.equal(hidden.status, 404);
  });

  it('retries 429 with backoff, resending the file', async () => {
    const proxy = await flakyProxy(stack.gatewayUrl, {
      path: '/api/import/upload',
      failures: 2,
      body: { error: 'another upload is running', code: 'upload_in_progress' },
    });
    const retries: RetryEvent[] = [];
    try {
      const site = await stack.createSite();
      const patient = new IngestClient({
        url: proxy.url,
        token: site.token,
        retry: { baseDelayMs: 20 },
        onRetry: (event) => retries.push(event),
      });
      const answer = (await patient.upload({
        file: path.join(dir, 'from-disk.flac'),
      })) as UploadResult;

      assert.deepEqual(answer.sources, ['flac']);
      assert.equal(proxy.hits.get('/api/import/upload'), 3);
      assert.deepEqual(
        retries.map((r) => [r.retry, r.failure.kind === 'status' && r.failure.status]),
        [
          [1, 429],
          [2, 429],
        ],
      );

      // A stream cannot be sent twice: the 429 reaches the caller.
      proxy.refuseNext(1);
      const error = await patient
        .upload({
          file: createReadStream(path.join(dir, 'streamed.mp3')),
          filename: 'streamed.mp3',
        })
        .catch((err: unknown) => err);
      assert.ok(error instanceof IngestApiError);
      assert.equal(error.code, 'upload_in_progress');
      assert.equal(error.status, 429);
    } finally {
      await proxy.close();
    }
  });

  it('retries 5xx for reads, and for publish by its key, not delete', async () => {
    const site = await stack.createSite();
    const proxy = await flakyProxy(stack.gatewayUrl, {
      path: '/api/import/checkJob',
      failures: 1,
      status: 502,
      body: { error: 'bad gateway', code: 'bad_gateway' },
    });
    try {
      const options = { token: site.token, retry: { baseDelayMs: 10 } };
      const viaProxy = new IngestClient({ url: proxy.url, ...options });
      const progress = await viaProxy.checkJob();
      assert.equal(progress.state, 'open');
      assert.equal(proxy.hits.get('/api/import/checkJob'), 2);

      // publish sends an Idempotency-Key: a repeat cannot publish twice.
      const own = new IngestClient({ url: stack.gatewayUrl, ...options });
      const { job_id } = await own.createJob({ name: 'published via proxy' });
      await own.upload({ url: `${files.url}/by-url.wav` }, { jobId: job_id });
      const publishProxy = await flakyProxy(stack.gatewayUrl, {
        path: '/api/import/publish',
        failures: 1,
        status: 500,
      });
      const publisher = new IngestClient({ url: publishProxy.url, ...options });
      const published = await publisher
        .publish({ jobId: job_id })
        .finally(() => publishProxy.close());
      assert.equal(published.queued, 1);
      assert.equal(publishProxy.hits.get('/api/import/publish'), 2);

      // delete has no key: a 500 is final.
      const deleteProxy = await flakyProxy(stack.gatewayUrl, {
        path: '/api/import/delete',
        failures: 1,
        status: 500,
      });
      const deleter = new IngestClient({ url: deleteProxy.url, ...options });
      const error = await deleter
        .delete({ uploadId: 'ALL' })
        .catch((err: unknown) => err)
        .finally(() => deleteProxy.close());
      assert.ok(error instanceof IngestApiError);
      assert.equal(error.status, 500);
      assert.equal(error.code, 'busy');
    } finally {
      await proxy.close();
    }
  });

  it('gives up on an unreachable gateway with a network error', async () => {
    const closed = await flakyProxy(stack.gatewayUrl, { path: '/', failures: 0 });
    await closed.close();
    const lost = new IngestClient({
      url: closed.url,
      token: 'x',
      retry: { retries: 2, baseDelayMs: 5 },
    });
    const error = await lost.checkJob().catch((err: unknown) => err);
    assert.ok(error instanceof IngestNetworkError, String(error));
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('publishes, waits with progress, lists, gets and downloads', async () => {
    const published = await client.publish();
    assert.equal(published.result, 'success');
    assert.equal(published.queued, 3);

    const seen: JobProgress[] = [];
    const done = await client.waitForJob(published.job_id, {
      intervalMs: 100,
      timeoutMs: 120_000,
      onProgress: (p) => seen.push(p),
    });
    assert.equal(done.state, 'complete', stack.logs);
    assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 3, 0]);
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen.at(-1), done);

    const listing = await client.list(published.job_id);
    assert.equal(listing.tracks.length, 3);
    const first = listing.tracks.find((t) => t.upload_id === uploads[0]);
    assert.ok(first?.track_id);
    publishedTrack = first.track_id;

    const { track } = await client.getTrack(first.track_id);
    assert.equal(track.meta.Title, 'Renamed');
    assert.deepEqual(Object.keys(track.formats).sort(), ['mp3', 'wav']);

    const download = await client.download(first.track_id, 'wav');
    assert.equal(download.contentType, 'audio/wav');
    const bytes = Buffer.from(await new Response(download.body).arrayBuffer());
    assert.equal(bytes.length, track.formats.wav?.bytes);
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      track.formats.wav?.sha256,
    );

    const part = await client.download(first.track_id, 'mp3', {
      range: { start: 0, end: 9 },
    });
    assert.equal(part.response.status, 206);
    assert.equal(part.contentLength, 10);
    assert.equal(part.etag, `"${track.formats.mp3?.sha256}"`);
    await part.body.cancel();

    // A resume names its version: the same one gives the rest, another
    // one the whole current file.
    const rest = await client.download(first.track_id, 'mp3', {
      range: { start: 10 },
      ifRange: part.etag,
    });
    assert.equal(rest.response.status, 206);
    assert.equal(rest.contentLength, (track.formats.mp3?.bytes ?? 0) - 10);
    await rest.body.cancel();
    const stale = await client.download(first.track_id, 'mp3', {
      range: { start: 10 },
      ifRange: '"an-earlier-version"',
    });
    assert.equal(stale.response.status, 200);
    assert.equal(stale.contentLength, track.formats.mp3?.bytes);
    await stale.body.cancel();

    const target = path.join(dir, 'out.mp3');
    const saved = await client.downloadTo(first.track_id, 'mp3', target);
    assert.equal(saved.bytes, track.formats.mp3?.bytes);
    assert.equal(saved.sha256, track.formats.mp3?.sha256);
    assert.equal((await readFile(target)).length, saved.bytes);

    const missing = await client
      .download(first.track_id, 'aiff')
      .catch((err: unknown) => err);
    assert.ok(missing instanceof IngestApiError);
    assert.equal(missing.code, 'rendition_missing');
  });

  it('refuses uploads to a published job', async () => {
    const { job_id } = await client.createJob({ name: 'closed' });
    await client.upload({ url: `${files.url}/by-url.wav` }, { jobId: job_id });
    await client.publish({ jobId: job_id });
    const error = await client
      .upload({ url: `${files.url}/by-url.wav` }, { jobId: job_id })
      .catch((err: unknown) => err);
    assert.ok(error instanceof IngestApiError);
    assert.equal(error.code, 'job_closed');
    await client.waitForJob(job_id, { intervalMs: 100, timeoutMs: 60_000 });
  });

  it('times out waiting for a job that cannot complete', async () => {
    const { job_id } = await client.createJob({ name: 'never published' });
    // Long enough for a poll to be answered on a busy machine: the
    // deadline aborts the poll in flight, and `last` stays empty.
    const error = await client
      .waitForJob(job_id, { intervalMs: 20, timeoutMs: 2_000 })
      .catch((err: unknown) => err);
    assert.ok(error instanceof JobTimeoutError);
    assert.equal(error.jobId, job_id);
    assert.equal(error.last?.state, 'open');
  });

  it('deletes a queued upload', async () => {
    const answer = (await client.upload({
      url: `${files.url}/by-url.wav`,
    })) as UploadResult;
    const deleted = await client.delete({ uploadId: answer.upload_id });
    assert.equal(deleted.result, 'success');
    assert.equal(deleted.deleted, 1);
    const listing = await client.list();
    assert.ok(!listing.tracks.some((t) => t.upload_id === answer.upload_id));
  });

  it('searches indexed tracks', async () => {
    // Indexing is a separate step after publishing (SPEC §2): poll a while.
    const deadline = Date.now() + 30_000;
    let found = 0;
    while (Date.now() < deadline && found === 0) {
      const result = await client.search({ s: 'Renamed', show: 10, pg: 0 });
      found = result.tracks.filter((x) => x.meta.Title === 'Renamed').length;
      if (found === 0) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(found, 1);
  });

  it('deletes a published track and its files', async () => {
    const trackId = publishedTrack;
    assert.ok(trackId, 'the publish test left a track');
    const answer = await client.deleteTrack(trackId);
    assert.equal(answer.track_id, trackId);
    const gone = await client.getTrack(trackId).catch((err: unknown) => err);
    assert.ok(gone instanceof IngestApiError);
    assert.equal(gone.code, 'not_found');
  });
});
