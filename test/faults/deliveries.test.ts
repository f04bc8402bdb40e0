/**
 * Fault: webhook receivers that answer 500, time out, drop the
 * connection or answer 410, and an SMTP server that refuses before it
 * accepts. Checked through the HTTP API (checkJob's `deliveries`) with
 * the three services as real processes.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  makeTone,
  serveFiles,
  smtpSink,
  type LoopbackServer,
  type SmtpSink,
  type TestSite,
} from '@ingest/testkit';
import { sleep, waitUntil } from './fault-kit';

const SCHEDULE_MS = 300;
const RETRIES = 4;

interface Hit {
  path: string;
  id: string;
  at: number;
}

/** Answers each path by its own script of behaviours, in turn. */
type Behaviour = 'ok' | 'fail' | 'hang' | 'drop' | 'gone';
const SCRIPTS: Record<string, Behaviour[]> = {
  '/flaky': ['fail', 'hang', 'drop', 'ok'],
  '/gone': ['gone'],
  '/down': ['fail'],
};

let dir: string;
let files: LoopbackServer;
let smtp: SmtpSink;
let stack: TestStack;
let site: TestSite;
let hooks: http.Server;
let hooksUrl: string;
const hits: Hit[] = [];
let refuseMail = 0;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-deliv-'));
  await makeTone(path.join(dir, 'tone.wav'), { seconds: 2 });
  files = await serveFiles(dir);
  smtp = await smtpSink(() => refuseMail-- > 0);

  hooks = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const seen = hits.filter((h) => h.path === url).length;
    hits.push({ path: url, id: String(req.headers['webhook-id']), at: Date.now() });
    const script = SCRIPTS[url] ?? ['ok'];
    const behaviour = script[Math.min(seen, script.length - 1)];
    req.resume();
    req.on('end', () => {
      if (behaviour === 'ok') res.writeHead(204).end();
      else if (behaviour === 'fail') res.writeHead(500).end('boom');
      else if (behaviour === 'gone') res.writeHead(410).end();
      else if (behaviour === 'drop') req.socket.destroy();
      // 'hang': never answer; the notifier's timeout ends it.
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

  stack = await TestStack.start({
    env: {
      SMTP_URL: smtp.url,
      INGEST_WEBHOOK_SCHEDULE: Array(RETRIES).fill(`${SCHEDULE_MS}ms`).join(),
      INGEST_WEBHOOK_TIMEOUT: '1s',
      INGEST_EMAIL_SCHEDULE: `${SCHEDULE_MS}ms,${SCHEDULE_MS}ms,${SCHEDULE_MS}ms`,
    },
  });
  site = await stack.createSite('ops@example.com');
});

after(async () => {
  await stack?.close();
  hooks?.closeAllConnections();
  await new Promise((resolve) => hooks?.close(resolve));
  await files?.close();
  await smtp?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

/** Uploads one tone into the main job and publishes it. */
async function publishWith(oncomplete: string): Promise<number> {
  const upload = await call('upload', { url: `${files.url}/tone.wav` });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  const published = await call('publish', { oncomplete });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await stack.waitForJob(site.token, published.body.job_id);
  return published.body.job_id;
}

async function deliveriesOf(jobId: number, count: number) {
  return waitUntil(`${count} deliveries of job ${jobId}`, async () => {
    const { body } = await call('checkJob', { job_id: jobId });
    return body.deliveries.length >= count && body.deliveries;
  });
}

test('500, timeout, dropped connection, then 2xx: one event id', async () => {
  const jobId = await publishWith(`${hooksUrl}/flaky`);
  const log = await deliveriesOf(jobId, 4);
  const flaky = hits.filter((h) => h.path === '/flaky');

  assert.equal(flaky.length, 4);
  assert.equal(new Set(flaky.map((h) => h.id)).size, 1, 'same event id');
  assert.match(flaky[0].id, /^[\w-]+$/);
  for (let i = 1; i < flaky.length; i++) {
    const gap = flaky[i].at - flaky[i - 1].at;
    assert.ok(gap >= SCHEDULE_MS - 50, `retry ${i} came after ${gap} ms`);
  }

  const rows = log.filter((d: any) => d.channel === 'webhook');
  assert.deepEqual(rows.map((d: any) => d.attempt), [1, 2, 3, 4]);
  assert.deepEqual(rows.map((d: any) => d.ok), [false, false, false, true]);
  assert.equal(rows[0].status, 500);
  assert.equal(rows[1].error, 'timeout');
  assert.ok(rows[2].error, JSON.stringify(rows[2]));
  assert.equal(rows[3].status, 204);
  assert.ok(rows.every((d: any) => d.eventId === flaky[0].id));

  // Delivered means done: no further attempt comes.
  await sleep(SCHEDULE_MS * 4);
  assert.equal(hits.filter((h) => h.path === '/flaky').length, 4);
  console.log(`# observed /flaky: ${JSON.stringify(rows.map(brief))}`);
});

test('410 stops the retries at once, nobody is emailed', async () => {
  const mailsBefore = smtp.messages.length;
  const jobId = await publishWith(`${hooksUrl}/gone`);
  const log = await deliveriesOf(jobId, 1);
  await sleep(SCHEDULE_MS * 6);

  assert.equal(hits.filter((h) => h.path === '/gone').length, 1);
  const { body } = await call('checkJob', { job_id: jobId });
  assert.equal(body.deliveries.length, 1, JSON.stringify(body.deliveries));
  assert.equal(log[0].status, 410);
  assert.equal(log[0].ok, false);
  assert.equal(smtp.messages.length, mailsBefore);
  console.log(`# observed /gone: ${JSON.stringify(body.deliveries.map(brief))}`);
});

test('retries exhausted: the site contact is emailed once', async () => {
  const mailsBefore = smtp.messages.length;
  const jobId = await publishWith(`${hooksUrl}/down`);
  const log = await deliveriesOf(jobId, RETRIES + 2);
  const down = hits.filter((h) => h.path === '/down');

  assert.equal(down.length, RETRIES + 1);
  assert.equal(new Set(down.map((h) => h.id)).size, 1);
  const hooksLog = log.filter((d: any) => d.channel === 'webhook');
  assert.equal(hooksLog.length, RETRIES + 1);
  assert.ok(hooksLog.every((d: any) => d.status === 500 && !d.ok));
  const mails = log.filter((d: any) => d.channel === 'email');
  assert.equal(mails.length, 1);
  assert.equal(mails[0].ok, true);

  const [mail] = (await smtp.waitFor(mailsBefore + 1)).slice(mailsBefore);
  assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', 'ops@example.com');
  assert.match(mail.text ?? '', new RegExp(`${jobId}`));
  await sleep(SCHEDULE_MS * 4);
  assert.equal(smtp.messages.length, mailsBefore + 1, 'emailed once');
  assert.equal(hits.filter((h) => h.path === '/down').length, RETRIES + 1);
  console.log(`# observed /down: ${JSON.stringify(log.map(brief))}`);
});

test('SMTP refuses twice, then accepts: delivered once', async () => {
  const mailsBefore = smtp.messages.length;
  refuseMail = 2;
  const jobId = await publishWith('client@example.com');
  const log = await deliveriesOf(jobId, 3);
  await smtp.waitFor(mailsBefore + 1);
  await sleep(SCHEDULE_MS * 4);

  assert.equal(smtp.messages.length, mailsBefore + 1, 'exactly one email');
  const mail = smtp.messages[mailsBefore];
  assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', 'client@example.com');
  const { body } = await call('checkJob', { job_id: jobId });
  const rows = body.deliveries;
  assert.equal(rows.length, 3, JSON.stringify(rows));
  assert.deepEqual(rows.map((d: any) => d.ok), [false, false, true]);
  assert.deepEqual(rows.map((d: any) => d.attempt), [1, 2, 3]);
  assert.equal(rows[0].error, 'smtp 451');
  assert.equal(new Set(rows.map((d: any) => d.eventId)).size, 1);
  assert.equal(log.length, 3);
  console.log(`# observed smtp: ${JSON.stringify(rows.map(brief))}`);
});

function brief(d: any) {
  return {
    ch: d.channel,
    n: d.attempt,
    ok: d.ok,
    status: d.status,
    error: d.error,
    ms: Math.round(d.durationMs),
  };
}
