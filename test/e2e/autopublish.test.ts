/**
 * End to end: uploads sent with `autopublish=1` publish their job by
 * themselves (SPEC §2) — after an idle time, or at once at the upload
 * limit — exactly once across gateways, and the timer outlives a restart
 * of every service and of Redis. Small settings keep the test short:
 * 5 s idle, 3 uploads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

const IDLE_MS = 5_000;
const MAX_UPLOADS = 3;

let fixture: FixtureStack;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 20),
    env: {
      INGEST_AUTOPUBLISH_IDLE: `${IDLE_MS}ms`,
      INGEST_AUTOPUBLISH_MAX_UPLOADS: String(MAX_UPLOADS),
    },
  });
  ({ files, stack, site } = fixture);
});

after(() => fixture?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

async function newJob(): Promise<number> {
  const { body } = await call('createJob', { name: 'auto' });
  return body.job_id;
}

async function upload(n: number, params: Record<string, unknown>) {
  const { status, body } = await call('upload', {
    url: `${files.url}/tone-${n}.wav`,
    ...params,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body.upload_id as number;
}

async function stateOf(jobId: number): Promise<string> {
  const job = await stack.store.jobById(jobId);
  assert.ok(job, `job ${jobId} exists`);
  return job.state;
}

/** When the job was published, by the gateway's clock (same machine). */
function publishedAt(jobId: number): Promise<number> {
  return waitUntil(
    async () => {
      const job = await stack.store.jobById(jobId);
      return job?.publishedAt ? Date.parse(job.publishedAt) : undefined;
    },
    { message: `job ${jobId} not published` },
  );
}

describe('autopublish', () => {
  test('a quiet job publishes itself; plain uploads start no timer', async () => {
    const plain = await newJob();
    await upload(1, { job_id: plain });

    const auto = await newJob();
    const sent = Date.now();
    await upload(2, { job_id: auto, autopublish: 1 });
    assert.equal(await stateOf(auto), 'open');

    assert.ok((await publishedAt(auto)) >= sent + IDLE_MS, 'not before idle');
    const done = await stack.waitForJob(site.token, auto);
    assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 1, 0]);

    // The plain upload came earlier still; a timer of its own would have
    // fired by now.
    await sleep(1_000);
    assert.equal(await stateOf(plain), 'open');
  });

  test('a track update sent with autopublish publishes its job too', async () => {
    const first = await newJob();
    const uploadId = await upload(9, { job_id: first, autopublish: 1 });
    await stack.waitForJob(site.token, first);
    const listed = await call('list', { job_id: first });
    const trackId = listed.body.tracks.find(
      (t: { upload_id: number }) => t.upload_id === uploadId,
    ).track_id;
    assert.ok(trackId, JSON.stringify(listed.body));

    const job = await newJob();
    const sent = Date.now();
    const update = await call('upload', {
      url: `${files.url}/tone-10.wav`,
      track_id: trackId,
      job_id: job,
      autopublish: 1,
    });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    assert.equal(update.body.result, 'uploaded');
    assert.equal(await stateOf(job), 'open');
    assert.ok((await publishedAt(job)) >= sent + IDLE_MS, 'not before idle');
    const done = await stack.waitForJob(site.token, job);
    assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 1, 0]);
  });

  test('a timer whose autopublish uploads were all deleted publishes nothing', async () => {
    const job = await newJob();
    const auto = await upload(11, { job_id: job, autopublish: 1 });
    const deleted = await call('delete', { upload_id: auto });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await upload(12, { job_id: job });
    await sleep(IDLE_MS + 2_000);
    assert.equal(await stateOf(job), 'open');

    // An autopublish upload sent now starts the timer again, and it fires.
    await upload(13, { job_id: job, autopublish: 1 });
    await publishedAt(job);
    const done = await stack.waitForJob(site.token, job);
    assert.equal(done.d, 2);
  });

  test('each autopublish upload starts the idle time again', async () => {
    const job = await newJob();
    await upload(3, { job_id: job, autopublish: '1' });
    await sleep(IDLE_MS / 2);
    const second = Date.now();
    await upload(4, { job_id: job, autopublish: 'true' });

    assert.ok(
      (await publishedAt(job)) >= second + IDLE_MS,
      'the idle time counts from the last autopublish upload',
    );
    const done = await stack.waitForJob(site.token, job);
    assert.equal(done.d, 2);
  });

  test('the upload that reaches the limit publishes at once, once', async () => {
    const receiver = await webhookReceiver(site.secret);
    try {
      const job = await newJob();
      await upload(5, { job_id: job, autopublish: 1, oncomplete: receiver.url });
      await upload(6, { job_id: job, autopublish: 1 });
      assert.equal(await stateOf(job), 'open');
      await upload(7, { job_id: job, autopublish: 1 });
      assert.notEqual(await stateOf(job), 'open', 'published by the call');

      const late = await call('upload', {
        url: `${files.url}/tone-8.wav`,
        job_id: job,
        autopublish: 1,
      });
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'job_closed');

      const done = await stack.waitForJob(site.token, job);
      assert.equal(done.d, MAX_UPLOADS);
      // The idle timer the first uploads set comes due and finds the job
      // published: still one completion, one webhook.
      await sleep(IDLE_MS + 1_000);
      assert.equal(receiver.received.length, 1);
    } finally {
      await receiver.close();
    }
  });

  test('a plain upload that brings an autopublish job to the limit publishes it', async () => {
    // SPEC §2: "once the job holds 1000 uploads", whichever upload
    // brought it there.
    const job = await newJob();
    await upload(15, { job_id: job, autopublish: 1 });
    await upload(16, { job_id: job });
    assert.equal(await stateOf(job), 'open');
    await upload(17, { job_id: job });
    assert.notEqual(await stateOf(job), 'open', 'published by the call');
    const done = await stack.waitForJob(site.token, job);
    assert.equal(done.d, MAX_UPLOADS);

    // A job no autopublish upload was sent to never publishes itself.
    const plain = await newJob();
    for (const n of [18, 19, 20]) await upload(n, { job_id: plain });
    assert.equal(await stateOf(plain), 'open');
  });

  test('uploads through two gateways: each job published once', async () => {
    const busy = await stack.createSite();
    const receiver = await webhookReceiver(busy.secret);
    const second = await stack.startService('gateway');
    const gateways = [stack.gatewayUrl, `http://127.0.0.1:${second.port}`];
    try {
      // Five uploads to the site's main job, sent together and retried
      // while another holds the site's upload slot: three fill the first
      // job, which publishes at the limit; the idle timer publishes the
      // new main job that takes the other two.
      const ids = await Promise.all(
        [9, 10, 11, 12, 13].map((n, i) =>
          uploadRetrying(gateways[i % 2], busy.token, {
            url: `${files.url}/tone-${n}.wav`,
            autopublish: 1,
            oncomplete: receiver.url,
          }),
        ),
      );

      const hooks = await receiver.waitFor(2, 120_000);
      await sleep(IDLE_MS + 1_000);
      assert.equal(receiver.received.length, 2, 'one webhook per job');

      const jobs = hooks.map((h) => h.body.job_id as number);
      assert.notEqual(jobs[0], jobs[1]);
      const sizes = hooks
        .map((h) => (h.body.counts as { d: number }).d)
        .sort();
      assert.deepEqual(sizes, [2, 3]);
      const published = hooks
        .flatMap((h) => h.body.tracks as { upload_id: number }[])
        .map((t) => t.upload_id)
        .sort((a, b) => a - b);
      assert.deepEqual(published, [...ids].sort((a, b) => a - b));
    } finally {
      await second.stop();
      await receiver.close();
    }
  });

  test('the timer outlives a restart of every service and of Redis', async () => {
    const job = await newJob();
    await upload(14, { job_id: job, autopublish: 1 });

    const running = stack.services.filter((s) => s.child.exitCode === null);
    const byGatewayFirst = [...running].sort(
      (a, b) => Number(b.name === 'gateway') - Number(a.name === 'gateway'),
    );
    for (const service of byGatewayFirst) await service.stop();
    assert.equal(await stateOf(job), 'open', 'stopped before it fired');

    await stack.redisServer.stop();
    await stack.redisServer.resume();
    // Nothing runs that could publish, however long the idle time is.
    await sleep(IDLE_MS + 1_000);
    assert.equal(await stateOf(job), 'open');

    await stack.startService('notifier');
    await stack.startService('transcoder');
    await stack.startService('gateway', Number(new URL(stack.gatewayUrl).port));
    const done = await stack.waitForJob(site.token, job, 60_000);
    assert.equal(done.d, 1);
  });
});

/** An upload through one gateway, sent again while the slot is taken. */
async function uploadRetrying(
  gateway: string,
  token: string,
  params: Record<string, unknown>,
): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${gateway}/api/import/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as any;
    if (res.status === 200) return body.upload_id;
    assert.equal(res.status, 429, JSON.stringify(body));
    assert.equal(body.code, 'upload_in_progress');
    if (Date.now() > deadline) throw new Error('upload slot never free');
    await sleep(20 + Math.random() * 80);
  }
}
