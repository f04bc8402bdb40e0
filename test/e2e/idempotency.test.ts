/**
 * Idempotency-Key on upload, createJob and publish, and duplicate bytes
 * in one job, against the real stack. Decisions are in README
 * ("Retries and duplicates"); figures in docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestStack, makeTone, type TestSite } from '@ingest/testkit';
import { hostileServer, type HostileServer } from '../hostile/hostile-server';

let dir: string;
let server: HostileServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-idem-'));
  for (const n of [1, 2, 3, 4, 5]) {
    await makeTone(path.join(dir, `t${n}.wav`), {
      seconds: 1,
      tags: { title: `Take ${n}` },
    });
  }
  server = await hostileServer(dir);
  stack = await TestStack.start();
  site = await stack.createSite();
  other = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: any;
  replayed: boolean;
}

/** A JSON call with an Idempotency-Key. */
async function keyed(
  endpoint: string,
  key: string,
  params: Record<string, unknown>,
  token = site.token,
): Promise<Answer> {
  const res = await fetch(`${stack.gatewayUrl}/api/import/${endpoint}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(params),
  });
  return {
    status: res.status,
    body: await res.json(),
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

/** A multipart upload of one of the fixtures, with a key if given. */
async function postFile(name: string, key?: string): Promise<Answer> {
  const form = new FormData();
  form.set('file', new Blob([await readFile(path.join(dir, name))]), name);
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
    {
      method: 'POST',
      body: form,
      headers: key ? { 'idempotency-key': key } : {},
    },
  );
  return {
    status: res.status,
    body: await res.json(),
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

const uploadsOf = async (token: string) =>
  (await stack.call('/api/import/list', token)).body.tracks as any[];

describe('Idempotency-Key', () => {
  test('a repeated upload gets the first answer and makes nothing new', async () => {
    const params = { url: `${server.url}/t1.wav`, meta: { Title: 'One' } };
    const first = await keyed('upload', 'up-1', params);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.replayed, false);

    const again = await keyed('upload', 'up-1', {
      meta: { Title: 'One' },
      url: `${server.url}/t1.wav`,
    });
    assert.equal(again.status, 200);
    assert.equal(again.replayed, true);
    assert.deepEqual(again.body, first.body);
    assert.equal(server.hits.get('/t1.wav'), 1, 'fetched once');
    assert.equal((await uploadsOf(site.token)).length, 1);
  });

  test('the same key for a different request is refused', async () => {
    const changed = await keyed('upload', 'up-1', {
      url: `${server.url}/t2.wav`,
    });
    assert.equal(changed.status, 422, JSON.stringify(changed.body));
    assert.equal(changed.body.code, 'idempotency_key_reused');
    const otherMeta = await keyed('upload', 'up-1', {
      url: `${server.url}/t1.wav`,
      meta: { Title: 'Two' },
    });
    assert.equal(otherMeta.body.code, 'idempotency_key_reused');
    assert.equal((await uploadsOf(site.token)).length, 1);
  });

  test('keys belong to one site', async () => {
    const theirs = await keyed(
      'upload',
      'up-1',
      { url: `${server.url}/t1.wav`, meta: { Title: 'One' } },
      other.token,
    );
    assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
    assert.equal(theirs.replayed, false);
    assert.equal((await uploadsOf(other.token)).length, 1);
  });

  test('a list is the same request as text or as a JSON array', async () => {
    const url = `${server.url}/t2.wav`;
    const first = await keyed(
      'upload', 'fmt-1', { url, formats: 'mp3,wav' }, other.token,
    );
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await keyed(
      'upload', 'fmt-1', { formats: ['WAV', ' mp3'], url }, other.token,
    );
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.replayed, true);
    assert.equal(again.body.upload_id, first.body.upload_id);

    const fewer = await keyed(
      'upload', 'fmt-1', { url, formats: ['mp3'] }, other.token,
    );
    assert.equal(fewer.body.code, 'idempotency_key_reused');
  });

  test('a multipart repeat is told apart by its bytes', async () => {
    const first = await postFile('t2.wav', 'file-1');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await postFile('t2.wav', 'file-1');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.replayed, true);
    assert.equal(again.body.upload_id, first.body.upload_id);

    const otherBytes = await postFile('t3.wav', 'file-1');
    assert.equal(otherBytes.status, 422, JSON.stringify(otherBytes.body));
    assert.equal(otherBytes.body.code, 'idempotency_key_reused');
    assert.equal((await uploadsOf(site.token)).length, 2);
  });

  test('a repeat while the first still runs gets 409', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    server.route('/held.wav', async (_req, res) => {
      arrived();
      await held;
      const bytes = await readFile(path.join(dir, 't3.wav'));
      res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(bytes);
    });

    const params = { url: `${server.url}/held.wav` };
    const first = keyed('upload', 'slow-1', params);
    try {
      // An answer before the source was asked for would leave `reached`
      // pending for ever; it fails the test instead.
      const early = await Promise.race([reached.then(() => {}), first]);
      assert.equal(
        early,
        undefined,
        `answered, unfetched: ${JSON.stringify(early)}`,
      );
      const during = await keyed('upload', 'slow-1', params);
      assert.equal(during.status, 409, JSON.stringify(during.body));
      assert.equal(during.body.code, 'idempotency_in_progress');
    } finally {
      release();
    }
    const done = await first;
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const after = await keyed('upload', 'slow-1', params);
    assert.equal(after.replayed, true);
    assert.equal(after.body.upload_id, done.body.upload_id);
  });

  test('a failed call frees its key for a retry', async () => {
    let calls = 0;
    server.route('/flaky.wav', async (_req, res) => {
      calls += 1;
      if (calls === 1) return res.writeHead(503).end('busy');
      const bytes = await readFile(path.join(dir, 't4.wav'));
      res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(bytes);
    });
    const params = { url: `${server.url}/flaky.wav` };
    const failed = await keyed('upload', 'flaky-1', params);
    assert.equal(failed.status, 422, JSON.stringify(failed.body));
    const retried = await keyed('upload', 'flaky-1', params);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.replayed, false);
    assert.equal(calls, 2);
  });

  test('createJob and publish answer a repeat as the first time', async () => {
    const job = await keyed('createJob', 'job-1', { name: 'Batch 7' });
    assert.equal(job.status, 200, JSON.stringify(job.body));
    const sameJob = await keyed('createJob', 'job-1', { name: 'Batch 7' });
    assert.deepEqual([sameJob.replayed, sameJob.body], [true, job.body]);
    const renamed = await keyed('createJob', 'job-1', { name: 'Batch 8' });
    assert.equal(renamed.body.code, 'idempotency_key_reused');

    const jobId = job.body.job_id;
    const up = await stack.call('/api/import/upload', site.token, {
      url: `${server.url}/t5.wav`,
      job_id: jobId,
    });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const published = await keyed('publish', 'pub-1', { job_id: jobId });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    await stack.waitForJob(site.token, jobId);

    // Without the key a second publish of a complete job is job_closed;
    // with it, the client learns what its first call did.
    const plain = await stack.call('/api/import/publish', site.token, {
      job_id: jobId,
    });
    assert.equal(plain.body.code, 'job_closed');
    const repeat = await keyed('publish', 'pub-1', { job_id: jobId });
    assert.equal(repeat.status, 200);
    assert.deepEqual([repeat.replayed, repeat.body], [true, published.body]);
  });

  test('a malformed key is refused', async () => {
    const long = await keyed('createJob', 'k'.repeat(300), {});
    assert.equal(long.status, 400);
    assert.equal(long.body.code, 'invalid_parameter');
  });
});

describe('duplicate bytes in one job', () => {
  test('are refused naming the first upload, by URL or file', async () => {
    const main = (await uploadsOf(site.token)).map((t) => t.upload_id);
    const first = main[0];

    const byUrl = await stack.call('/api/import/upload', site.token, {
      url: `${server.url}/t1.wav`,
    });
    assert.equal(byUrl.status, 409, JSON.stringify(byUrl.body));
    assert.equal(byUrl.body.code, 'duplicate_upload');
    assert.equal(byUrl.body.upload_id, first);
    assert.match(byUrl.body.error, new RegExp(`upload ${first}\\b`));

    const byFile = await postFile('t1.wav');
    assert.equal(byFile.status, 409, JSON.stringify(byFile.body));
    assert.equal(byFile.body.upload_id, first);
    assert.equal((await uploadsOf(site.token)).length, main.length);
  });

  test('are welcome in another job, and again once the first is deleted', async () => {
    const job = await stack.call('/api/import/createJob', site.token, {});
    const elsewhere = await stack.call('/api/import/upload', site.token, {
      url: `${server.url}/t1.wav`,
      job_id: job.body.job_id,
    });
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));

    const first = (await uploadsOf(site.token))[0].upload_id;
    const deleted = await stack.call('/api/import/delete', site.token, {
      upload_id: first,
    });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    const again = await stack.call('/api/import/upload', site.token, {
      url: `${server.url}/t1.wav`,
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.notEqual(again.body.upload_id, first);
  });
});
