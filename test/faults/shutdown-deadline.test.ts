/**
 * Fault: SIGTERM while a call, an import or a delivery would outlast the
 * shutdown deadline. The gateway cuts its slow uploads short before the
 * deadline (each one's cleanup runs: no upload, no slot, no temp file)
 * and hands its slow import back; the notifier hands its slow delivery
 * back; both exit 0 in time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueImporter } from '@ingest/client-queue';
import { openQueue } from '@ingest/queue';
import {
  TestStack,
  listenOnLoopback,
  makeTone,
  type TestSite,
} from '@ingest/testkit';
import { filesUnder, queueCounts, totalIn, waitUntil } from './fault-kit';

const DEADLINE_MS = 5_000;

/** What a trickling client is sent per tick: about 160 kB/s. */
const CHUNK_BYTES = 16_384;
const TICK_MS = 100;

let dir: string;
let wav: Buffer;
let stack: TestStack;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-deadline-'));
  // 20 s of 44.1 kHz stereo: 3.5 MB, some 22 s at the trickle's rate.
  await makeTone(path.join(dir, 'long.wav'), { seconds: 20 });
  await makeTone(path.join(dir, 'short.wav'), { seconds: 1 });
  wav = await readFile(path.join(dir, 'long.wav'));
  stack = await TestStack.start({
    env: { INGEST_SHUTDOWN_TIMEOUT: `${DEADLINE_MS}ms` },
  });
});

after(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

const serviceNamed = (name: string) =>
  stack.services.find((s) => s.name === name && s.child.exitCode === null)!;

const storageDir = () => path.join(stack.dataDir, 'storage');

interface Answer {
  status?: number;
  body?: any;
  error?: string;
}

/** Reads an answer, or the error that ended the exchange. */
function answerOf(req: http.ClientRequest): Promise<Answer> {
  return new Promise((resolve) => {
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ error: err.code ?? err.message }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', (err) => resolve({ error: err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, body: JSON.parse(text || '{}') });
      });
    });
  });
}

/** A multipart upload whose file trickles in, as `curl --limit-rate`. */
function trickleUpload(site: TestSite, bytes: Buffer): Promise<Answer> {
  const boundary = `drain-${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
      `filename="slow.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = http.request(`${stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${site.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + bytes.length + tail.length,
    },
  });
  const answer = answerOf(req);
  req.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (req.destroyed) return clearInterval(timer);
    req.write(bytes.subarray(sent, sent + CHUNK_BYTES));
    sent += CHUNK_BYTES;
    if (sent < bytes.length) return;
    clearInterval(timer);
    req.end(tail);
  }, TICK_MS);
  return answer.finally(() => clearInterval(timer));
}

/**
 * A source host that sends its file at the trickle's rate, or all at
 * once after `fullSpeed()`.
 */
async function trickleSource(bytes: Buffer) {
  let chunkBytes = CHUNK_BYTES;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'Content-Type': 'audio/wav',
      'Content-Length': bytes.length,
    });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(bytes.subarray(sent, sent + chunkBytes));
      sent += chunkBytes;
      if (sent >= bytes.length) res.end();
    }, TICK_MS);
    res.on('close', () => clearInterval(timer));
  });
  const fullSpeed = () => (chunkBytes = bytes.length);
  return { ...(await listenOnLoopback(server)), fullSpeed };
}

/** A multipart upload of a small file through fetch, answered at once. */
async function quickUpload(site: TestSite) {
  const form = new FormData();
  const short = await readFile(path.join(dir, 'short.wav'));
  form.set('file', new Blob([short]), 'quick.wav');
  const res = await fetch(`${stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${site.token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A temp file of the gateway's storage, written by the upload in flight. */
const tempFileWritten = () =>
  waitUntil('the upload writing its temp file', async () => {
    const temps = await filesUnder(path.join(storageDir(), '.tmp'));
    return temps.length > 0 && temps;
  }, 30_000, 20);

/**
 * SIGTERM to the gateway while `upload` runs: it must exit 0 before the
 * deadline; a restarted gateway then finds no trace of the upload.
 */
async function cutShortUpload(site: TestSite, upload: Promise<Answer>) {
  await tempFileWritten();
  const gateway = serviceNamed('gateway');
  const signalledAt = Date.now();
  gateway.child.kill('SIGTERM');
  const exitCode = await gateway.exited;
  const exitMs = Date.now() - signalledAt;
  const answer = await upload;
  // Exit 0: its steps ended before the deadline (past it, it exits 1).
  assert.equal(exitCode, 0, gateway.logs);
  assert.ok(
    answer.error || answer.status === 503,
    `an error for the client: ${JSON.stringify(answer)}`,
  );
  if (answer.status) assert.equal(answer.body.code, 'not_ready');

  assert.deepEqual(await filesUnder(path.join(storageDir(), '.tmp')), []);
  assert.deepEqual(
    await filesUnder(path.join(storageDir(), 'sources', String(site.id))),
    [],
  );
  await stack.startService('gateway', gateway.port);
  const list = await stack.call('/api/import/list', site.token);
  assert.deepEqual(list.body.tracks, [], 'no upload recorded');

  const next = await quickUpload(site);
  assert.equal(next.status, 200, JSON.stringify(next.body));
  return { answer, exitMs };
}

test('gateway: a trickling multipart upload is cut short, exit 0', async () => {
  const site = await stack.createSite();
  const { answer, exitMs } = await cutShortUpload(
    site,
    trickleUpload(site, wav),
  );
  console.log(
    `# observed: exit 0 ${exitMs} ms after SIGTERM; client saw ` +
      `${JSON.stringify(answer)}; no temp file, no upload; next upload 200`,
  );
});

test('gateway: a trickling source URL is cut short, exit 0', async () => {
  const site = await stack.createSite();
  const source = await trickleSource(wav);
  try {
    const upload = stack
      .call('/api/import/upload', site.token, { url: `${source.url}/s.wav` })
      .catch((err: Error) => ({ error: err.message }) as Answer);
    const { answer, exitMs } = await cutShortUpload(site, upload);
    assert.equal(answer.status, 503, 'the answer had not started: 503');
    console.log(
      `# observed: exit 0 ${exitMs} ms after SIGTERM; client saw ` +
        `${answer.status} ${answer.body.code}; no temp file, no upload; ` +
        'next upload 200',
    );
  } finally {
    await source.close();
  }
});

test('gateway: a trickling queued import is handed back, exit 0', async () => {
  const site = await stack.createSite();
  const source = await trickleSource(wav);
  const importer = new QueueImporter({ redisUrl: stack.redisServer.url });
  const imports = openQueue('imports', stack.redis);
  try {
    const id = await importer.enqueueImport({
      v: 1,
      siteId: site.id,
      source: { url: `${source.url}/queued.wav` },
    });
    await tempFileWritten();
    const gateway = serviceNamed('gateway');
    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');
    // Exit 0: its steps ended before the deadline (past it, it exits 1).
    assert.equal(await gateway.exited, 0, gateway.logs);
    const exitMs = Date.now() - signalledAt;

    const job = await imports.getJob(id);
    const state = await job?.getState();
    assert.ok(state === 'waiting' || state === 'delayed', `job ${state}`);
    assert.equal(job?.attemptsMade, 0, 'no attempt counted');
    assert.deepEqual(await filesUnder(path.join(storageDir(), '.tmp')), []);

    source.fullSpeed();
    await stack.startService('gateway', gateway.port);
    const answer = await importer.waitForImport(id, { timeoutMs: 60_000 });
    assert.equal(answer.status, 'uploaded');
    console.log(
      `# observed: exit 0 ${exitMs} ms after SIGTERM; import ${state}, ` +
        `0 attempts; after restart uploaded as ${answer.upload_id}`,
    );
  } finally {
    await imports.close();
    await importer.close();
    await source.close();
  }
});

test('notifier: a webhook that never answers is handed back, exit 0', async () => {
  const site = await stack.createSite();
  // The first POST never gets an answer; later ones get 204.
  const ids: string[] = [];
  const hook = await listenOnLoopback(
    http.createServer((req, res) => {
      ids.push(String(req.headers['webhook-id']));
      req.resume();
      if (ids.length > 1) res.writeHead(204).end();
    }),
  );
  try {
    const call = (endpoint: string, params = {}) =>
      stack.call(`/api/import/${endpoint}`, site.token, params);
    const upload = await quickUpload(site);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const published = await call('publish', { oncomplete: `${hook.url}/h` });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    await waitUntil('the webhook POST', () => ids.length > 0);

    const notifier = serviceNamed('notifier');
    const signalledAt = Date.now();
    notifier.child.kill('SIGTERM');
    const exitCode = await notifier.exited;
    const exitMs = Date.now() - signalledAt;
    // Exit 0: its steps ended before the deadline (past it, it exits 1).
    assert.equal(exitCode, 0, notifier.logs);

    const counts = await queueCounts(stack.redis);
    assert.equal(totalIn(counts, 'active'), 0, JSON.stringify(counts));
    assert.equal(counts.webhook.failed, 0, JSON.stringify(counts.webhook));

    await stack.startService('notifier');
    await waitUntil('the delivery retried', () => ids.length > 1, 30_000);
    assert.equal(ids[1], ids[0], 'the same webhook-id');
    // The retry is logged once its 204 is back at the notifier.
    const hooks = await waitUntil('the retry logged', async () => {
      const { body } = await call('checkJob', { job_id: published.body.job_id });
      const rows = body.deliveries.filter((d: any) => d.channel === 'webhook');
      return rows.length > 1 && rows;
    }, 30_000);
    // The attempt cut short is logged too (SPEC §4: every attempt).
    assert.deepEqual(
      hooks.map((d: any) => d.status ?? d.error),
      ['cut_short_by_shutdown', 204],
      JSON.stringify(hooks),
    );
    console.log(
      `# observed: exit 0 ${exitMs} ms after SIGTERM; webhook counts ` +
        `then ${JSON.stringify(counts.webhook)}; retried with the same ` +
        `webhook-id ${ids[0]}, delivery log ${JSON.stringify(hooks)}`,
    );
  } finally {
    await hook.close();
  }
});
