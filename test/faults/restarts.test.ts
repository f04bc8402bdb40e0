/**
 * Faults: Redis stops and starts again while a job runs; the notifier is
 * down while jobs complete. Nothing accepted is lost, every webhook
 * arrives exactly once, every service comes back by itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  makeTone,
  serveFiles,
  webhookReceiver,
  type LoopbackServer,
  type TestSite,
  type WebhookReceiver,
} from '@ingest/testkit';
import { queueCounts, sleep, totalIn, waitUntil } from './fault-kit';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let receiver: WebhookReceiver;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-restart-'));
  for (const name of ['a', 'b', 'c']) {
    await makeTone(path.join(dir, `${name}.flac`), {
      seconds: 40,
      sampleRate: 96_000,
      codec: 'flac',
      tags: { title: `Tone ${name}` },
    });
  }
  files = await serveFiles(dir);
  stack = await TestStack.start();
  site = await stack.createSite();
  receiver = await webhookReceiver(site.secret);
});

after(async () => {
  await stack?.close();
  await receiver?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

async function upload(name: string) {
  const res = await call('upload', {
    url: `${files.url}/${name}.flac`,
    formats: 'mp3,wav',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.upload_id as number;
}

async function allReady() {
  for (const service of stack.services) {
    if (service.child.exitCode !== null) continue;
    const res = await fetch(`http://127.0.0.1:${service.port}/readyz`)
      .catch(() => undefined);
    if (res?.status !== 200) return false;
  }
  return true;
}

test('Redis stops mid-run and comes back: nothing lost', async () => {
  await upload('a');
  await upload('b');
  const published = await call('publish', { oncomplete: receiver.url });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;
  await waitUntil('a transcode running', async () => {
    const { body } = await call('checkJob', { job_id: jobId });
    return body.i > 0;
  });

  await stack.redisServer.stop();
  const stoppedAt = Date.now();
  // An upload while Redis is down: it either fails outright, or it is
  // accepted once Redis is back and then must not be lost.
  const during = call('upload', {
    url: `${files.url}/c.flac`,
    formats: 'mp3',
  }).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
  await sleep(3_000);
  assert.equal(await allReady(), false, 'readiness shows Redis is gone');
  await stack.redisServer.resume();

  await waitUntil('every service ready again', allReady, 60_000, 200);
  const readyMs = Date.now() - stoppedAt;
  const done = await stack.waitForJob(site.token, jobId, 300_000);
  assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 2, 0]);

  const late = await during;
  let lateJob: number | undefined;
  if (late.status === 200) {
    const next = await call('publish', { oncomplete: receiver.url });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    lateJob = next.body.job_id;
    const finished = await stack.waitForJob(site.token, lateJob!, 300_000);
    assert.equal(finished.d, 1, JSON.stringify(finished));
  }

  const expected = lateJob ? 2 : 1;
  await receiver.waitFor(expected, 60_000);
  await sleep(3_000);
  const jobsSeen = receiver.received.map((r) => r.body.job_id);
  assert.equal(jobsSeen.length, expected, `webhooks: ${jobsSeen}`);
  assert.ok(jobsSeen.includes(jobId));
  assert.ok(receiver.received.every((r) => r.verified));

  const counts = await queueCounts(stack.redis);
  assert.equal(totalIn(counts, 'active'), 0, JSON.stringify(counts));
  assert.equal(totalIn(counts, 'failed'), 0, JSON.stringify(counts));
  // Reconnecting is expected: logged as structured lines, never as
  // unhandled-error prints (one per reconnect attempt).
  const lines = stack.logs.split('\n').filter(Boolean);
  const stray = lines.filter((l) => !l.startsWith('{') && !l.startsWith('---'));
  assert.deepEqual(stray.slice(0, 5), []);
  const lost = lines.filter((l) => l.includes('redis connection lost'));
  assert.ok(lost.length > 0, 'the outage is logged');
  console.log(
    `# observed: services ready ${readyMs} ms after the stop (3 s down); ` +
      `upload during the outage answered ${late.status}; ` +
      `${jobsSeen.length} webhook(s) for jobs ${jobsSeen}; ` +
      `${lost.length} "redis connection lost" warnings in all`,
  );
});

test('notifier down while jobs complete: all delivered after start', async () => {
  const notifier = stack.services.find((s) => s.name === 'notifier')!;
  assert.equal(await notifier.stop('SIGTERM'), 0);
  const before = receiver.received.length;

  const jobs: number[] = [];
  for (const name of ['a', 'b']) {
    await upload(name);
    const res = await call('publish', { oncomplete: receiver.url });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    jobs.push(res.body.job_id);
  }
  for (const jobId of jobs) {
    const done = await stack.waitForJob(site.token, jobId, 300_000);
    assert.equal(done.d, 1);
  }
  await sleep(1_000);
  assert.equal(receiver.received.length, before, 'nothing sent while down');
  const pending = await queueCounts(stack.redis);

  await stack.startService('notifier');
  await receiver.waitFor(before + 2, 60_000);
  await sleep(2_000);
  const got = receiver.received.slice(before).map((r) => r.body.job_id);
  assert.deepEqual([...got].sort(), [...jobs].sort());
  for (const jobId of jobs) {
    const { body } = await call('checkJob', { job_id: jobId });
    assert.equal(body.deliveries.length, 1, JSON.stringify(body.deliveries));
    assert.equal(body.deliveries[0].ok, true);
  }
  console.log(
    `# observed: while the notifier was down the completion queue held ` +
      `${pending.completion.waiting} waiting; after start ` +
      `${got.length} webhooks, one per job`,
  );
});
