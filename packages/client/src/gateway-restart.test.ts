import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTone, TestStack, waitUntil, type TestSite } from '@ingest/testkit';
import { IngestClient, JobTimeoutError } from './index';

describe('waitForJob across a gateway restart', { timeout: 180_000 }, () => {
  let stack: TestStack;
  let dir: string;
  let client: IngestClient;
  let site: TestSite;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-restart-'));
    await makeTone(path.join(dir, 'tone.wav'), { seconds: 2, codec: 'pcm_s16le' });
    stack = await TestStack.start();
    site = await stack.createSite();
    // A short retry budget: only the wait's own patience can carry it.
    client = new IngestClient({
      url: stack.gatewayUrl,
      token: site.token,
      retry: { retries: 1, baseDelayMs: 50 },
    });
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const gateway = () => {
    const running = stack.services.filter((s) => s.name === 'gateway');
    return running[running.length - 1];
  };

  it('polls on while the gateway is down and ends complete', async () => {
    // checkJob calls that found no gateway, counted below the client.
    let refused = 0;
    const counting: typeof fetch = (input, init) =>
      fetch(input, init).catch((err: unknown) => {
        if (String(input).endsWith('/checkJob')) refused += 1;
        throw err;
      });
    const polling = new IngestClient({
      url: stack.gatewayUrl,
      token: site.token,
      retry: { retries: 1, baseDelayMs: 50 },
      fetch: counting,
    });
    // Published only once the gateway is back: the job cannot complete
    // before the polls have met the gateway down.
    const { job_id } = await polling.createJob({ name: 'restart' });
    await polling.upload({ file: path.join(dir, 'tone.wav') }, { jobId: job_id });

    let firstPoll!: () => void;
    const polled = new Promise<void>((resolve) => (firstPoll = resolve));
    const waiting = polling.waitForJob(job_id, {
      intervalMs: 200,
      timeoutMs: 120_000,
      onProgress: () => firstPoll(),
    });
    await polled;

    const { port } = new URL(stack.gatewayUrl);
    await gateway().stop('SIGTERM');
    // Two polls, each a call and its one retry, refused while it is down.
    await waitUntil(() => refused >= 4, {
      timeoutMs: 30_000,
      message: () => `${refused} checkJob calls refused`,
    });
    await stack.startService('gateway', Number(port));
    await polling.publish({ jobId: job_id });

    const done = await waiting;
    assert.equal(done.state, 'complete', stack.logs);
    assert.equal(done.d, 1);
  });

  it('names the last failure when the deadline passes', async () => {
    const { job_id } = await client.createJob({ name: 'never published' });
    const { port } = new URL(stack.gatewayUrl);
    await gateway().stop('SIGTERM');
    try {
      const error = await client
        .waitForJob(job_id, { intervalMs: 100, timeoutMs: 1_500 })
        .catch((err: unknown) => err);
      assert.ok(error instanceof JobTimeoutError, String(error));
      assert.match(error.message, /last poll failed: .*ECONNREFUSED/);
      assert.equal(error.last, undefined);
    } finally {
      await stack.startService('gateway', Number(port));
    }
  });
});
