import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTone, TestStack } from '@ingest/testkit';
import { IngestClient } from './index';
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
});
