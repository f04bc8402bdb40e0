/**
 * What a receiver says about the retries: a webhook's Retry-After, and
 * an SMTP server's permanent (5xx) refusal of a recipient. And what a
 * receiver checks: during a secret rotation, either secret verifies.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { jobIds, openQueue, type TypedQueue } from '@ingest/queue';
import { SiteCredentials, StateStore } from '@ingest/state';
import { listenOnLoopback, redisForTests } from '@ingest/testkit';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { startNotifier, type RunningNotifier } from './notifier';
import {
  completedJob,
  memoryLogger,
  notifierSettings,
  waitFor,
  webhookEnd,
} from './test-support';

const SCHEDULE = '200ms,200ms,3s';
/** Refused for good at RCPT TO; any other recipient for now (451). */
const UNKNOWN_USER = 'nobody@example.com';

let store: StateStore;
let completions: TypedQueue<'completion'>;
let emails: TypedQueue<'email'>;
let webhooks: TypedQueue<'webhook'>;
let smtp: SMTPServer;
let notifier: RunningNotifier;
let dataDir: string;

const own = redisForTests({
  role: 'worker',
  closeFirst: async () => {
    await notifier?.close();
    await completions?.close();
    await emails?.close();
    await webhooks?.close();
  },
});

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  completions = openQueue('completion', own.redis);
  emails = openQueue('email', own.redis);
  webhooks = openQueue('webhook', own.redis);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const permanent = address.address === UNKNOWN_USER;
      const err = new Error(permanent ? 'no such user' : 'busy, try later');
      Object.assign(err, { responseCode: permanent ? 550 : 451 });
      callback(err);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'notifier-answers-'));

  notifier = await startNotifier(
    loadConfig(
      notifierSettings(own.server.url, dataDir, {
        INGEST_PUBLIC_URL: 'http://ingest.test',
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        INGEST_WEBHOOK_SCHEDULE: SCHEDULE,
        INGEST_WEBHOOK_TIMEOUT: '2s',
        INGEST_EMAIL_SCHEDULE: '100ms,100ms,100ms',
      }),
    ),
    { logger: memoryLogger().logger },
  );
});

after(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function complete(jobId: number) {
  await completions.add('completion', { jobId }, {
    jobId: jobIds.completion(jobId),
  });
}

/** The oncomplete email job of `jobId` once it has failed for good. */
function failedEmail(jobId: number, to: string) {
  return waitFor(async () => {
    const log = await store.deliveries.list(jobId);
    if (log.length === 0) return false;
    const id = jobIds.email(log[0].eventId, 'oncomplete', to);
    // The state first: a job read before its last attempt ends would
    // show the attempts made so far.
    if ((await emails.getJobState(id)) !== 'failed') return false;
    return emails.getJob(id);
  });
}

test('a 429 with Retry-After is retried no sooner than asked', async () => {
  const hits: { at: number; id: string }[] = [];
  const hook = await listenOnLoopback(
    http.createServer((req, res) => {
      hits.push({ at: Date.now(), id: String(req.headers['webhook-id']) });
      req.resume();
      if (hits.length === 1) res.writeHead(429, { 'retry-after': '1' });
      res.end();
    }),
  );
  try {
    const fixture = await completedJob(store, { oncomplete: `${hook.url}/h` });
    await complete(fixture.job.id);

    const end = await webhookEnd(store, webhooks, fixture.job.id);
    assert.equal(end, 'completed');
    assert.equal(hits.length, 2);
    assert.equal(hits[0].id, hits[1].id);
    // The schedule says 200 ms; the receiver asked for a second.
    const gap = hits[1].at - hits[0].at;
    assert.ok(gap >= 950, `retried after ${gap} ms`);

    const log = await store.deliveries.list(fixture.job.id);
    assert.deepEqual(
      log.map((d) => [d.attempt, d.status, d.ok]),
      [
        [1, 429, false],
        [2, 200, true],
      ],
    );
  } finally {
    await hook.close();
  }
});

test('an SMTP 5xx refusal of the recipient is not retried', async () => {
  const fixture = await completedJob(store, { oncomplete: UNKNOWN_USER });
  await complete(fixture.job.id);

  const failed = await failedEmail(fixture.job.id, UNKNOWN_USER);
  assert.equal(failed.attemptsMade, 1);
  const log = await store.deliveries.list(fixture.job.id);
  assert.deepEqual(
    log.map((d) => [d.channel, d.attempt, d.ok, d.error]),
    [['email', 1, false, 'smtp 550']],
  );
});

test('an SMTP 4xx refusal is retried through the schedule', async () => {
  const to = 'busy@example.com';
  const fixture = await completedJob(store, { oncomplete: to });
  await complete(fixture.job.id);

  const failed = await failedEmail(fixture.job.id, to);
  assert.equal(failed.attemptsMade, 4);
  const log = await store.deliveries.list(fixture.job.id);
  assert.deepEqual(
    log.map((d) => d.error),
    ['smtp 451', 'smtp 451', 'smtp 451', 'smtp 451'],
  );
});

test('a rotated secret: both sign until the former one lapses', async () => {
  const seen: { headers: Record<string, string>; body: string }[] = [];
  const hook = await listenOnLoopback(
    http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ headers: req.headers as Record<string, string>, body });
      res.end();
    }),
  );
  const fresh = `whsec_${Buffer.from('a new secret, 24 bytes..').toString('base64')}`;
  const deliver = async (formerUntil: number) => {
    const fixture = await completedJob(store, { oncomplete: `${hook.url}/h` });
    const site = await store.getSite(fixture.site.id);
    await new SiteCredentials(own.redis).replaceWebhookSecret(site!, fresh, formerUntil);
    await complete(fixture.job.id);
    assert.equal(await webhookEnd(store, webhooks, fixture.job.id), 'completed');
    return { ...seen.at(-1)!, former: new Webhook(fixture.secret) };
  };
  try {
    const within = await deliver(Date.now() + 60_000);
    assert.ok(new Webhook(fresh).verify(within.body, within.headers));
    assert.ok(within.former.verify(within.body, within.headers));

    const lapsed = await deliver(Date.now() - 1);
    assert.ok(new Webhook(fresh).verify(lapsed.body, lapsed.headers));
    assert.throws(() => lapsed.former.verify(lapsed.body, lapsed.headers));
  } finally {
    await hook.close();
  }
});
