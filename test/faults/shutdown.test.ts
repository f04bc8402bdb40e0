/**
 * Fault: SIGTERM to each service while it works. Each finishes or hands
 * back what it runs within INGEST_SHUTDOWN_TIMEOUT, exits 0, and leaves
 * nothing active in the queues; the gateway answers 503 to new calls
 * while it drains and still finishes the upload in flight.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  listenOnLoopback,
  makeTone,
  serveFiles,
  type LoopbackServer,
  type ServiceProcess,
  type TestSite,
} from '@ingest/testkit';
import {
  ffmpegChildOf,
  queueCounts,
  sleep,
  totalIn,
  waitUntil,
} from './fault-kit';

const DEADLINE_MS = 6_000;

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;

/** A loopback server whose answers wait until the test lets them go. */
async function heldServer(
  answer: (res: http.ServerResponse, release: Promise<void>) => void,
) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '/');
    req.resume();
    answer(res, released);
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, requests, release, close };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-term-'));
  for (const name of ['long-1', 'long-2']) {
    await makeTone(path.join(dir, `${name}.flac`), {
      seconds: 90,
      sampleRate: 96_000,
      codec: 'flac',
      tags: { title: name },
    });
  }
  await makeTone(path.join(dir, 'short.wav'), { seconds: 2 });
  files = await serveFiles(dir);
  stack = await TestStack.start({
    env: { INGEST_SHUTDOWN_TIMEOUT: `${DEADLINE_MS}ms` },
  });
  site = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

const serviceNamed = (name: string) =>
  stack.services.find((s) => s.name === name && s.child.exitCode === null)!;

/**
 * Every `/readyz` status of a stopping service, asked every 50 ms until
 * it no longer answers (it closes its port on its way out).
 */
async function readyzWhileStopping(service: ServiceProcess) {
  const seen: string[] = [];
  while (service.child.exitCode === null) {
    const res = await fetch(`http://127.0.0.1:${service.port}/readyz`)
      .catch(() => undefined);
    if (!res) break;
    seen.push(`${res.status} ${await res.text()}`);
    await sleep(50);
  }
  return seen;
}

const DRAINING = '503 {"status":"not ready","reason":"shutting down"}';

async function assertNothingActive() {
  const counts = await queueCounts(stack.redis);
  assert.equal(totalIn(counts, 'active'), 0, JSON.stringify(counts));
  return counts;
}

test('gateway: 503 while draining, the upload in flight finishes', async () => {
  const wav = await readFile(path.join(dir, 'short.wav'));
  const source = await heldServer((res, released) => {
    res.writeHead(200, { 'Content-Length': wav.length });
    res.write(wav.subarray(0, wav.length >> 1));
    void released.then(() => res.end(wav.subarray(wav.length >> 1)));
  });
  try {
    const upload = call('upload', { url: `${source.url}/held.wav` });
    await waitUntil('the source fetch', () => source.requests.length > 0);

    const gateway = serviceNamed('gateway');
    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');
    const refused = await waitUntil('a 503 while draining', async () => {
      const res = await call('getAvailableFields').catch(() => undefined);
      return res?.status === 503 && res;
    }, 5_000, 20);
    assert.equal(refused.body.code, 'not_ready');
    assert.equal(gateway.child.exitCode, null, 'still draining');

    source.release();
    const accepted = await upload;
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(await gateway.exited, 0);
    const exitMs = Date.now() - signalledAt;

    await stack.startService('gateway', gateway.port);
    const list = await call('list');
    const ids = list.body.tracks.map((t: any) => t.upload_id);
    assert.ok(ids.includes(accepted.body.upload_id), JSON.stringify(list.body));
    const published = await call('publish');
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const done = await stack.waitForJob(site.token, published.body.job_id);
    assert.equal(done.d, 1, JSON.stringify(done));
    // The notifier may still be announcing that job; it settles.
    await waitUntil('queues settled', async () =>
      totalIn(await queueCounts(stack.redis), 'active') === 0);
    console.log(
      `# observed: 503 ${refused.body.code} while draining; upload ` +
        `${accepted.body.upload_id} answered 200; exit 0 after ${exitMs} ms`,
    );
  } finally {
    await source.close();
  }
});

test('transcoder: runs past the deadline are handed back, exit 0', async () => {
  for (const name of ['long-1', 'long-2']) {
    const res = await call('upload', {
      url: `${files.url}/${name}.flac`,
      formats: 'mp3,wav,flac',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const published = await call('publish');
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;

  const transcoder = serviceNamed('transcoder');
  await waitUntil('ffmpeg running', () =>
    ffmpegChildOf(transcoder.child.pid!), 120_000, 50);
  const signalledAt = Date.now();
  const stopping = transcoder.stop('SIGTERM');
  const readiness = await readyzWhileStopping(transcoder);
  // Exit 0: its steps ended before the deadline (past it, it exits 1).
  assert.equal(await stopping, 0);
  const exitMs = Date.now() - signalledAt;
  // It takes no new runs while it drains, and says so.
  assert.ok(readiness.includes(DRAINING), readiness.join('\n'));

  const counts = await assertNothingActive();
  assert.equal(counts.transcode.failed, 0);
  const waiting = await call('checkJob', { job_id: jobId });
  assert.equal(waiting.body.i, 0, JSON.stringify(waiting.body));
  const handedBack = waiting.body.q;

  await stack.startService('transcoder');
  const done = await stack.waitForJob(site.token, jobId, 300_000);
  assert.deepEqual([done.d, done.e], [2, 0], JSON.stringify(done));
  // The notifier may still be announcing the job (completion active).
  await waitUntil('queues settled', async () =>
    totalIn(await queueCounts(stack.redis), 'active') === 0);
  const after = await assertNothingActive();
  assert.equal(after.transcode.failed, 0);
  console.log(
    `# observed: exit 0 ${exitMs} ms after SIGTERM; ${handedBack} ` +
      `upload(s) back to waiting (q), counts then ` +
      `${JSON.stringify(counts.transcode)}; a new transcoder finished both`,
  );
});

test('notifier: the delivery in flight finishes, then exit 0', async () => {
  const hook = await heldServer((res, released) => {
    void released.then(() => res.writeHead(204).end());
  });
  try {
    const res = await call('upload', { url: `${files.url}/short.wav` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const published = await call('publish', { oncomplete: `${hook.url}/h` });
    const jobId = published.body.job_id;
    await waitUntil('the webhook POST', () => hook.requests.length > 0);

    const notifier = serviceNamed('notifier');
    const signalledAt = Date.now();
    notifier.child.kill('SIGTERM');
    await sleep(500);
    assert.equal(notifier.child.exitCode, null, 'waits for the delivery');
    const ready = await fetch(`http://127.0.0.1:${notifier.port}/readyz`);
    assert.equal(`${ready.status} ${await ready.text()}`, DRAINING);
    hook.release();
    assert.equal(await notifier.exited, 0);
    const exitMs = Date.now() - signalledAt;

    const counts = await assertNothingActive();
    assert.equal(counts.webhook.completed, 1, JSON.stringify(counts));
    const { body } = await call('checkJob', { job_id: jobId });
    assert.equal(body.deliveries.length, 1, JSON.stringify(body.deliveries));
    assert.equal(body.deliveries[0].status, 204);
    await stack.startService('notifier');
    await sleep(1_000);
    assert.equal(hook.requests.length, 1, 'delivered once');
    console.log(
      `# observed: exit 0 ${exitMs} ms after SIGTERM (delivery held ` +
        `500 ms); 1 POST, delivery log ${JSON.stringify(body.deliveries[0])}`,
    );
  } finally {
    await hook.close();
  }
});
