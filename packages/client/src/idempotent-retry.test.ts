import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { heldSource, makeTone, TestStack, waitUntil } from '@ingest/testkit';
import { IngestApiError, IngestClient, type RetryEvent } from './index';
import { answerDroppingProxy } from './testing/answer-dropping-proxy';

describe('Idempotency-Key makes a lost answer safe to retry', { timeout: 120_000 }, () => {
  let stack: TestStack;
  let dir: string;
  let token: string;
  let direct: IngestClient;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-idem-'));
    await makeTone(path.join(dir, 'tone.wav'), { seconds: 1, codec: 'pcm_s16le' });
    stack = await TestStack.start();
    token = (await stack.createSite()).token;
    direct = new IngestClient({ url: stack.gatewayUrl, token });
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const through = (url: string) =>
    new IngestClient({ url, token, retry: { baseDelayMs: 20 } });

  it('createJob: the retry gets the first job, not a second one', async () => {
    const proxy = await answerDroppingProxy(stack.gatewayUrl, {
      path: '/api/import/createJob',
      drops: 1,
    });
    try {
      const { job_id } = await through(proxy.url).createJob({ name: 'once' });
      const next = await direct.createJob({ name: 'after' });
      assert.equal(next.job_id, job_id + 1, 'no job made by the retry');
      assert.equal(proxy.keys.length, 2);
      assert.ok(proxy.keys[0]);
      assert.equal(proxy.keys[1], proxy.keys[0]);
    } finally {
      await proxy.close();
    }
  });

  it('upload of a file: the retry answers the first upload', async () => {
    const proxy = await answerDroppingProxy(stack.gatewayUrl, {
      path: '/api/import/upload',
      drops: 1,
    });
    try {
      const { job_id } = await direct.createJob({ name: 'upload once' });
      const answer = await through(proxy.url).upload(
        { file: path.join(dir, 'tone.wav') },
        { jobId: job_id, idempotencyKey: 'my-own-key-1' },
      );
      const listing = await direct.list(job_id);
      assert.deepEqual(
        listing.tracks.map((t) => t.upload_id),
        [answer.upload_id],
      );
      assert.deepEqual(proxy.keys, ['my-own-key-1', 'my-own-key-1']);
    } finally {
      await proxy.close();
    }
  });

  it('a streamed upload is not resent', async () => {
    const proxy = await answerDroppingProxy(stack.gatewayUrl, {
      path: '/api/import/upload',
      drops: 1,
    });
    try {
      async function* bytes() {
        yield Buffer.from('not really audio');
      }
      const error = await through(proxy.url)
        .upload({ file: bytes(), filename: 'x.wav' })
        .catch((err: unknown) => err);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'IngestNetworkError');
      assert.equal(proxy.keys.length, 1);
    } finally {
      await proxy.close();
    }
  });

  describe('a repeat while the first call still runs (409 idempotency_in_progress)', () => {
    // The first upload of a key is held inside the gateway, fetching a URL
    // whose server sends its first bytes only; the same key sent again
    // meets the gateway's claim on it.
    const holdFirstUpload = async (name: string) => {
      const source = await heldSource(await readFile(path.join(dir, 'tone.wav')), `${name}.wav`);
      const { job_id } = await direct.createJob({ name });
      const key = `held-${name}`;
      const first = direct.upload(
        { url: source.url },
        { jobId: job_id, idempotencyKey: key },
      );
      first.catch(() => undefined);
      await source.fetched;
      return { source, job_id, key, first };
    };
    const retrying = (retries: number, events: RetryEvent[]) =>
      new IngestClient({
        url: stack.gatewayUrl,
        token,
        retry: { retries, baseDelayMs: 20, maxDelayMs: 200 },
        onRetry: (event) => events.push(event),
      });

    it('waits and retries until the first answers, then gets its answer', async () => {
      const { source, job_id, key, first } = await holdFirstUpload('retried');
      const events: RetryEvent[] = [];
      try {
        const second = retrying(100, events).upload(
          { url: source.url },
          { jobId: job_id, idempotencyKey: key },
        );
        // Released only once the repeat has met the claim, and been told.
        await waitUntil(() => events.length >= 2, { timeoutMs: 30_000 });
        source.release();
        const [a, b] = await Promise.all([first, second]);

        assert.deepEqual(b, a);
        assert.ok(
          events.every((e) => e.failure.kind === 'status' && e.failure.status === 409),
        );
        assert.equal(source.requests, 1, 'the gateway fetched the URL once');
        assert.deepEqual(
          (await direct.list(job_id)).tracks.map((t) => t.upload_id),
          [a.upload_id],
        );
      } finally {
        source.release();
        await source.close();
      }
    });

    it('gives up after its retries with idempotency_in_progress', async () => {
      const { source, job_id, key, first } = await holdFirstUpload('gave-up');
      const events: RetryEvent[] = [];
      try {
        const error = await retrying(2, events)
          .upload({ url: source.url }, { jobId: job_id, idempotencyKey: key })
          .catch((err: unknown) => err);
        assert.ok(error instanceof IngestApiError, String(error));
        assert.equal(error.code, 'idempotency_in_progress');
        assert.equal(error.status, 409);
        assert.equal(
          error.message,
          'the first request with this Idempotency-Key is still running; retry ' +
            'later (gave up after 3 attempts with this key; a later call with ' +
            "the same key gets the first request's answer)",
        );
        assert.equal(events.length, 2);

        // The first call was not disturbed: it ends as it would have.
        source.release();
        const answer = await first;
        assert.equal(answer.status, 'uploaded');
      } finally {
        source.release();
        await source.close();
      }
    });
  });
});
