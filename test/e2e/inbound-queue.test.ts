/**
 * End to end: uploads sent through the `imports` queue on the shared
 * Redis (QueueImporter) against the real services, judged side by side
 * with the same uploads sent over HTTP.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IngestApiError } from '@ingest/client';
import { QueueImporter, type ImportPayloadV1 } from '@ingest/client-queue';
import { openQueue } from '@ingest/queue';
import { FileStorage } from '@ingest/storage';
import {
  listenOnLoopback,
  makeTone,
  startFixtureStack,
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
let importer: QueueImporter;

async function writeFixtures(dir: string) {
  await makeTone(path.join(dir, 'tone-a.wav'), {
    seconds: 2,
    tags: { title: 'Tone A', artist: 'Queue Artist' },
  });
  await makeTone(path.join(dir, 'tone-b.wav'), {
    seconds: 2,
    sampleRate: 48_000,
  });
  await makeTone(path.join(dir, 'take.wav'), { seconds: 2, channels: 1 });
  await writeFile(path.join(dir, 'notes.txt'), 'just some text\n'.repeat(50));
}

before(async () => {
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    // The import lines are info; one test reads them.
    env: { LOG_LEVEL: 'info' },
  });
  ({ dir, files, stack, site } = fixture);
  importer = new QueueImporter({ redisUrl: stack.redisServer.url });
});

after(async () => {
  await importer?.close();
  await fixture?.close();
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

const WAIT = { timeoutMs: 60_000, intervalMs: 100 };

/** The refusal of an import, as the SDK throws it. */
async function refusalOf(payload: unknown) {
  const id = await importer.enqueueImport(payload as ImportPayloadV1);
  const err = await importer.waitForImport(id, WAIT).then(
    (answer) => assert.fail(`accepted: ${JSON.stringify(answer)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof IngestApiError, String(err));
  return { id, err };
}

describe('an import by queue', () => {
  test('is answered and published as an HTTP upload is', async () => {
    const { body: created } = await call('createJob', { name: 'inbound' });
    const jobId: number = created.job_id;

    const http = await call('upload', {
      url: `${files.url}/tone-b.wav`,
      job_id: jobId,
      formats: ['mp3', 'wav'],
      meta: { Title: 'By HTTP' },
    });
    assert.equal(http.status, 200, JSON.stringify(http.body));

    const byUrl = await importer.enqueueImport({
      v: 1,
      siteId: site.id,
      source: { url: `${files.url}/tone-a.wav` },
      jobId,
      formats: ['mp3', 'wav'],
      meta: { Title: 'By queue', 'Custom: External ID': 'q-1' },
      requestId: 'inbound-e2e-1',
    });
    const answer = await importer.waitForImport(byUrl, WAIT);
    assert.deepEqual(Object.keys(answer).sort(), Object.keys(http.body).sort());
    assert.equal(answer.status, 'uploaded');
    assert.ok(answer.upload_id > http.body.upload_id);
    assert.deepEqual(answer.formats, ['mp3', 'wav']);
    assert.deepEqual(answer.sources, ['wav']);
    // Tags read from the file as for HTTP; given meta wins.
    assert.deepEqual(answer.meta, {
      Title: 'By queue',
      Artist: 'Queue Artist',
      Filename: 'tone-a.wav',
      'Custom: External ID': 'q-1',
    });

    // A file the producer put in the shared storage is copied in.
    const storage = new FileStorage(path.join(stack.dataDir, 'storage'));
    const key = 'inbound/batch-1/take.wav';
    await storage.put(key, createReadStream(path.join(dir, 'take.wav')));
    const stored = {
      v: 1 as const,
      siteId: site.id,
      source: { storageKey: key, filename: 'Take One.wav' },
      jobId,
    };
    const byKey = await importer.enqueueImport(stored, {
      importId: 'batch-1-take',
    });
    assert.equal(byKey, 'batch-1-take');
    const fromStorage = await importer.waitForImport(byKey, WAIT);
    assert.equal(fromStorage.meta.Filename, 'Take One.wav');
    assert.deepEqual(fromStorage.formats, ['mp3', 'wav']);
    assert.ok((await storage.size(key))! > 0, 'the producer keeps its file');

    // The same import id again adds nothing.
    const again = await importer.enqueueImport(stored, {
      importId: 'batch-1-take',
    });
    assert.equal(again, byKey);
    assert.deepEqual(await importer.waitForImport(again, WAIT), fromStorage);

    const published = await call('publish', { job_id: jobId });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    assert.equal(published.body.queued, 3);
    const done = await stack.waitForJob(site.token, jobId);
    assert.deepEqual(
      { q: done.q, i: done.i, d: done.d, e: done.e },
      { q: 0, i: 0, d: 3, e: 0 },
    );

    const { body: listing } = await call('list', { job_id: jobId });
    const byUpload = new Map(
      listing.tracks.map((t: any) => [t.upload_id, t]),
    );
    for (const uploadId of [
      http.body.upload_id,
      answer.upload_id,
      fromStorage.upload_id,
    ]) {
      const row: any = byUpload.get(uploadId);
      assert.equal(row?.status, 'published', JSON.stringify(listing));
      assert.deepEqual(Object.keys(row.renditions).sort(), ['mp3', 'wav']);
    }
    const track = await stack.call('/api/tracks/getById', site.token, {
      track_id: (byUpload.get(answer.upload_id) as any).track_id,
    });
    assert.equal(track.body.track.meta.Title, 'By queue');
    assert.equal(track.body.track.job_id, jobId);
  });

  test('is refused with the code, message and extras HTTP answers', async () => {
    const closed = (await call('createJob', { name: 'closed' })).body.job_id;
    const held = await call('upload', {
      url: `${files.url}/take.wav`,
      job_id: closed,
    });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal((await call('publish', { job_id: closed })).status, 200);
    const cases: Array<[string, Record<string, unknown>]> = [
      [
        'unknown metadata field',
        { url: `${files.url}/tone-a.wav`, meta: { Title: 'x', Colour: 'red' } },
      ],
      ['a text file', { url: `${files.url}/notes.txt` }],
      ['a URL that answers 404', { url: `${files.url}/nope.wav` }],
      ['an unknown format', { url: `${files.url}/tone-a.wav`, formats: ['ogg'] }],
      ['an unknown job', { url: `${files.url}/tone-a.wav`, job_id: 999_999 }],
      ['a bad flag', { url: `${files.url}/tone-a.wav`, autopublish: 'maybe' }],
      ['a published job', { url: `${files.url}/tone-a.wav`, job_id: closed }],
    ];
    const codes: string[] = [];
    const queue = openQueue('imports', stack.redis);
    for (const [what, params] of cases) {
      const http = await call('upload', params);
      assert.ok(http.status >= 400, `${what}: ${JSON.stringify(http.body)}`);

      const { url, job_id: jobId, ...rest } = params;
      const { id, err } = await refusalOf({
        v: 1,
        siteId: site.id,
        source: { url },
        ...(jobId ? { jobId } : {}),
        ...rest,
      });
      assert.equal(err.code, http.body.code, what);
      assert.equal(err.status, http.status, what);
      assert.deepEqual(err.body, http.body, what);
      codes.push(err.code);

      // Refused at once: no retry could change the answer.
      const job = await queue.getJob(id);
      assert.equal(job?.attemptsMade, 1, what);
    }
    await queue.close();
    assert.deepEqual(codes, [
      'unknown_fields',
      'not_audio',
      'fetch_failed',
      'invalid_format',
      'not_found',
      'invalid_parameter',
      'job_closed',
    ]);
    const unknown = await refusalOf({
      v: 1,
      siteId: site.id,
      source: { url: `${files.url}/tone-a.wav` },
      meta: { Colour: 'red', Flavour: 'x' },
    });
    assert.deepEqual(unknown.err.body.fields, ['Colour', 'Flavour']);
  });

  test('a payload of another version is refused with its own code', async () => {
    const { err } = await refusalOf({
      v: 2,
      siteId: site.id,
      source: { url: `${files.url}/tone-a.wav` },
    });
    assert.equal(err.code, 'unsupported_version');
    assert.equal(err.status, 400);
    assert.match(err.message, /payload version 2 is not supported/);
    assert.deepEqual(err.body.supported, [1]);
  });

  test('fields, site and import ids the gateway does not know', async () => {
    const extra = await refusalOf({
      v: 1,
      siteId: site.id,
      source: { url: `${files.url}/tone-a.wav` },
      trackId: 1,
    });
    assert.equal(extra.err.code, 'invalid_parameter');
    // `parameters`, as every invalid_parameter of HTTP has; `fields` kept.
    assert.deepEqual(extra.err.body.parameters, ['trackId']);
    assert.deepEqual(extra.err.body.fields, ['trackId']);

    const nobody = await refusalOf({
      v: 1,
      siteId: 999_999,
      source: { url: `${files.url}/tone-a.wav` },
    });
    assert.equal(nobody.err.code, 'not_found');

    const outside = await refusalOf({
      v: 1,
      siteId: site.id,
      source: { storageKey: 'sources/1/x', filename: 'x.wav' },
    });
    assert.equal(outside.err.code, 'invalid_parameter');
    assert.deepEqual(outside.err.body.parameters, ['source.storageKey']);

    const noSite = await refusalOf({
      v: 1,
      siteId: 'one',
      source: { url: `${files.url}/tone-a.wav` },
    });
    assert.deepEqual(noSite.err.body, {
      error: 'siteId must be a positive integer',
      code: 'invalid_parameter',
      parameters: ['siteId'],
    });

    // A plain BullMQ client may send null, or a request id of no text:
    // still the refusal, and no request id made of it.
    const nothing = await refusalOf(null);
    assert.equal(nothing.err.code, 'invalid_parameter');
    assert.deepEqual(nothing.err.body.parameters, []);
    const oddId = await refusalOf({ v: 1, siteId: site.id, requestId: [7] });
    assert.deepEqual(oddId.err.body.parameters, ['requestId']);
    assert.equal(oddId.err.requestId, undefined);

    await assert.rejects(
      importer.waitForImport('no-such-import', WAIT),
      (err: unknown) =>
        err instanceof IngestApiError && err.code === 'not_found',
    );
  });

  test('a request id and a file name are held to the HTTP limits', async () => {
    const huge = 'q'.repeat(100_000);
    const longId = await refusalOf({
      v: 1,
      siteId: site.id,
      source: { url: `${files.url}/tone-a.wav` },
      requestId: huge,
    });
    assert.equal(longId.err.code, 'invalid_parameter');
    assert.match(longId.err.message, /^requestId must be text of 1 to 200/);
    assert.deepEqual(longId.err.body.parameters, ['requestId']);
    const longName = await refusalOf({
      v: 1,
      siteId: site.id,
      source: { storageKey: 'inbound/a.wav', filename: `${huge}.wav` },
    });
    assert.match(longName.err.message, /^source\.filename is longer than/);

    // Neither reached a log line (the gateway keeps its last 20 000
    // characters for tests: a whole id would fill them).
    const gateway = stack.services.find((s) => s.name === 'gateway')!;
    const refused = gateway.logs
      .split('\n')
      .filter((line) => line.startsWith('{"') && line.includes('refused'));
    const ids = refused.map((line) => JSON.parse(line).bullJobId);
    assert.ok(ids.includes(longId.id), gateway.logs.slice(-2000));
    assert.ok(ids.includes(longName.id), gateway.logs.slice(-2000));
    assert.ok(!gateway.logs.includes('q'.repeat(300)), 'logged whole');

    // Over HTTP, such an X-Request-Id is not taken: the gateway's own is.
    const res = await fetch(`${stack.gatewayUrl}/api/import/list`, {
      headers: {
        authorization: `Bearer ${site.token}`,
        'x-request-id': 'h'.repeat(201),
      },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });

  test('one whose source hangs does not hold up the next', async () => {
    // Sends the headers and 4 KiB of a WAV, then nothing until closed.
    let started!: () => void;
    const hanging = new Promise<void>((resolve) => (started = resolve));
    const stall = await listenOnLoopback(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-length': 1_000_000 });
        res.write(Buffer.alloc(4096));
        started();
      }),
    );
    const other = await stack.createSite();
    try {
      const stuck = await importer.enqueueImport({
        v: 1,
        siteId: other.id,
        source: { url: `${stall.url}/hangs.wav` },
      });
      await hanging;
      const id = await importer.enqueueImport({
        v: 1,
        siteId: site.id,
        source: { url: `${files.url}/take.wav` },
      });
      const answer = await importer.waitForImport(id, WAIT);
      assert.equal(answer.status, 'uploaded');
      const imports = openQueue('imports', stack.redis);
      assert.equal(await imports.getJobState(stuck), 'active');
    } finally {
      await stall.close();
    }
  });

  test('does not wait for, nor take, the HTTP upload slot', async () => {
    const holder = 'inbound-e2e';
    const lease = await stack.store.uploadSlots.take(site.id, holder, 120_000);
    assert.ok(lease);
    try {
      const http = await call('upload', { url: `${files.url}/tone-a.wav` });
      assert.equal(http.status, 429, JSON.stringify(http.body));
      assert.equal(http.body.code, 'upload_in_progress');

      const id = await importer.enqueueImport({
        v: 1,
        siteId: site.id,
        source: { url: `${files.url}/tone-b.wav` },
      });
      const answer = await importer.waitForImport(id, WAIT);
      assert.equal(answer.status, 'uploaded');
      assert.deepEqual(answer.sources, ['wav']);
    } finally {
      lease.stop();
      await stack.store.uploadSlots.release(site.id, holder);
    }
  });
});
