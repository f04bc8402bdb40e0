import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import {
  jobIds,
  openQueue,
  type EmailReason,
  type TypedQueue,
} from '@ingest/queue';
import { StateStore, type DeliveryAttempt } from '@ingest/state';
import { redisForTests, waitUntil } from '@ingest/testkit';
import { Webhook } from 'standardwebhooks';
import { startNotifier, type RunningNotifier } from './notifier';
import {
  completedJob,
  HookReceiver,
  MailCatcher,
  memoryLogger,
  notifierSettings,
  waitFor,
  webhookEnd,
} from './test-support';

const PUBLIC_URL = 'http://ingest.test';
let store: StateStore;
let completions: TypedQueue<'completion'>;
let emails: TypedQueue<'email'>;
let webhooks: TypedQueue<'webhook'>;
let receiver: HookReceiver;
let smtp: MailCatcher;
let notifier: RunningNotifier;
let dataDir: string;
const own = redisForTests({
  role: 'worker',
  closeFirst: async () => {
    await notifier?.close();
    await notifier?.close();
    await completions?.close();
    await emails?.close();
    await webhooks?.close();
  },
});
const logs = memoryLogger();

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  completions = openQueue('completion', own.redis);
  emails = openQueue('email', own.redis);
  webhooks = openQueue('webhook', own.redis);
  receiver = await HookReceiver.start();
  smtp = await MailCatcher.start();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'notifier-test-'));

  const config = loadConfig(
    notifierSettings(own.server.url, dataDir, {
      INGEST_PUBLIC_URL: PUBLIC_URL,
      SMTP_URL: smtp.url,
      INGEST_WEBHOOK_SCHEDULE: '200ms,300ms,400ms',
      INGEST_WEBHOOK_TIMEOUT: '2s',
      INGEST_EMAIL_SCHEDULE: '100ms,200ms',
    }),
  );
  notifier = await startNotifier(config, { logger: logs.logger });
});

after(async () => {
  await receiver?.close();
  await smtp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function complete(jobId: number) {
  await completions.add('completion', { jobId }, {
    jobId: jobIds.completion(jobId),
  });
}

/**
 * The delivery log of `jobId` once the email to `to` is done: its queue
 * job completed or failed, so no attempt is still to be logged and none
 * is still to come. An email never logged ends the wait with the log.
 */
async function settledLog(jobId: number, reason: EmailReason, to: string) {
  let log: DeliveryAttempt[] = [];
  await waitUntil(
    async () => {
      log = await store.deliveries.list(jobId);
      const email = log.find((d) => d.channel === 'email');
      if (!email) return false;
      const job = await emails.getJob(jobIds.email(email.eventId, reason, to));
      const state = await job?.getState();
      return state === 'completed' || state === 'failed';
    },
    {
      timeoutMs: 8_000,
      intervalMs: 25,
      message: () => `the email is not done; log: ${JSON.stringify(log)}`,
    },
  );
  return store.deliveries.list(jobId);
}

function webhookLog(jobId: number) {
  return store
    .deliveries.list(jobId)
    .then((all) => all.filter((d) => d.channel === 'webhook'));
}

test('a webhook gets one signed delivery with the SPEC body', async () => {
  const hook = receiver.route([200], '?token=client-secret');
  const fixture = await completedJob(store, { oncomplete: hook.url });
  await complete(fixture.job.id);

  assert.equal(await webhookEnd(store, webhooks, fixture.job.id), 'completed');
  const [request] = receiver.at(hook.path);
  assert.equal(receiver.at(hook.path).length, 1);

  assert.equal(request.headers['content-type'], 'application/json');
  const body = new Webhook(fixture.secret).verify(
    request.body,
    request.headers,
  );
  assert.match(request.headers['webhook-id'], /^evt_\d+_[0-9a-f]+$/);

  const url = (format: string) =>
    `${PUBLIC_URL}/api/tracks/download?track_id=${fixture.trackId}` +
    `&format=${format}`;
  const track = await store.getTrack(fixture.site.id, fixture.trackId);
  assert.deepEqual(body, {
    type: 'job.completed',
    job_id: fixture.job.id,
    state: 'complete',
    counts: { q: 0, i: 0, d: 1, e: 1 },
    tracks: [
      {
        track_id: fixture.trackId,
        upload_id: fixture.good.id,
        formats: {
          mp3: {
            bytes: 1234,
            sha256: track?.renditions.mp3?.sha256,
            duration: 3.25,
            url: url('mp3'),
          },
          wav: {
            bytes: 5678,
            sha256: track?.renditions.wav?.sha256,
            duration: 3.25,
            url: url('wav'),
          },
        },
      },
    ],
    errors: [
      {
        upload_id: fixture.bad.id,
        error: 'no audio stream',
        error_code: 'no_audio',
      },
    ],
    completed_at: fixture.job.completedAt,
  });

  const [entry] = await webhookLog(fixture.job.id);
  assert.equal(entry.ok, true);
  assert.equal(entry.status, 200);
  assert.equal(entry.attempt, 1);
  assert.equal(entry.eventId, request.headers['webhook-id']);
  // The origin only: the query string carries the client's token.
  assert.equal(entry.target, receiver.origin);
});

test('500, 500, 200: three attempts with one event id', async () => {
  const hook = receiver.route([500, 500, 200]);
  const fixture = await completedJob(store, { oncomplete: hook.url });
  await complete(fixture.job.id);

  assert.equal(await webhookEnd(store, webhooks, fixture.job.id), 'completed');
  const requests = receiver.at(hook.path);
  assert.equal(requests.length, 3);

  const ids = new Set(requests.map((r) => r.headers['webhook-id']));
  assert.equal(ids.size, 1);
  const verifier = new Webhook(fixture.secret);
  for (const r of requests) verifier.verify(r.body, r.headers);
  assert.equal(new Set(requests.map((r) => r.body)).size, 1);

  const log = await webhookLog(fixture.job.id);
  assert.deepEqual(
    log.map((d) => [d.attempt, d.status, d.ok]),
    [
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ],
  );
  // The schedule's delays lie between the attempts.
  const at = log.map((d) => Date.parse(d.at));
  assert.ok(at[1] - at[0] >= 190, `first gap ${at[1] - at[0]} ms`);
  assert.ok(at[2] - at[1] >= 290, `second gap ${at[2] - at[1]} ms`);
});

test('410 stops the retries after one attempt', async () => {
  const contact = 'gone-contact@example.com';
  const hook = receiver.route([410]);
  const fixture = await completedJob(store, {
    oncomplete: hook.url,
    contactEmail: contact,
  });
  await complete(fixture.job.id);

  assert.equal(await webhookEnd(store, webhooks, fixture.job.id), 'failed');
  assert.equal(receiver.at(hook.path).length, 1);
  const log = await store.deliveries.list(fixture.job.id);
  assert.deepEqual(
    log.map((d) => [d.channel, d.status, d.ok]),
    [['webhook', 410, false]],
  );
  // An exhausted webhook queues its email before its job fails.
  const exhausted = jobIds.email(log[0].eventId, 'webhook-exhausted', contact);
  assert.equal(await emails.getJob(exhausted), undefined);
  assert.equal(smtp.to(contact).length, 0);
});

test('exhausted retries tell the site contact by email', async () => {
  const contact = 'ops-team@example.com';
  const hook = receiver.route([500]);
  const fixture = await completedJob(store, {
    oncomplete: hook.url,
    contactEmail: contact,
  });
  await complete(fixture.job.id);

  const [mail] = await waitFor(() => {
    const got = smtp.to(contact);
    return got.length > 0 && got;
  });
  // 1 try + 3 retries, as long as the schedule.
  assert.equal(receiver.at(hook.path).length, 4);
  assert.match(mail.subject ?? '', new RegExp(`Job ${fixture.job.id}\\b`));
  assert.match(mail.subject ?? '', /webhook/);
  assert.match(mail.text ?? '', /failed 4 times/);
  assert.match(mail.text ?? '', new RegExp(receiver.origin));

  // The email is logged once the mail server has answered, after it
  // took the message: wait for its job to finish, not for a set time.
  const log = await settledLog(fixture.job.id, 'webhook-exhausted', contact);
  assert.deepEqual(
    log.map((d) => [d.channel, d.ok]),
    [
      ['webhook', false],
      ['webhook', false],
      ['webhook', false],
      ['webhook', false],
      ['email', true],
    ],
  );
  assert.equal(log[4].target, 'o***@example.com');
  assert.equal(smtp.to(contact).length, 1);
});

test('an oncomplete address gets a text and HTML summary', async () => {
  const to = 'client-one@example.com';
  const fixture = await completedJob(store, { oncomplete: to });
  await complete(fixture.job.id);

  const [mail] = await waitFor(() => {
    const got = smtp.to(to);
    return got.length > 0 && got;
  });
  assert.equal(
    mail.subject,
    `Job ${fixture.job.id} complete: 1 published, 1 failed`,
  );
  assert.match(mail.text ?? '', new RegExp(`Track ${fixture.trackId}\\b`));
  assert.match(mail.text ?? '', /no audio stream/);
  assert.match(
    String(mail.html),
    new RegExp(`href="${PUBLIC_URL}/api/tracks/download\\?track_id=`),
  );
  assert.match(mail.messageId ?? '', /@catalog-ingest>$/);
});

test('a createJob job emails its own address', async () => {
  const to = 'job-owner@example.com';
  const fixture = await completedJob(store, {
    created: { email: to },
    contactEmail: 'someone-else@example.com',
  });
  await complete(fixture.job.id);

  const [mail] = await waitFor(() => {
    const got = smtp.to(to);
    return got.length > 0 && got;
  });
  assert.match(mail.text ?? '', /"Batch"/);
  assert.equal(smtp.to('someone-else@example.com').length, 0);
});

test('an SMTP refusal is retried and the mail arrives once', async () => {
  const to = 'retry-me@example.com';
  smtp.refuseNext = 1;
  const fixture = await completedJob(store, { oncomplete: to });
  await complete(fixture.job.id);

  const log = await settledLog(fixture.job.id, 'oncomplete', to);
  assert.equal(smtp.to(to).length, 1);
  assert.deepEqual(
    log.map((d) => [d.channel, d.attempt, d.ok, d.error]),
    [
      ['email', 1, false, 'smtp 451'],
      ['email', 2, true, undefined],
    ],
  );
});

test('an address with CR/LF is refused, not sent', async () => {
  const fixture = await completedJob(store, { oncomplete: receiver.route([200]).url });
  await complete(fixture.job.id);
  await waitFor(() => store.deliveries.getEvent(fixture.job.id));

  const to = 'victim@example.com\r\nBcc: other@example.com';
  const job = await emails.add(
    'email',
    { jobId: fixture.job.id, eventId: 'evt_x', to, reason: 'oncomplete' },
    { jobId: 'crlf-test', attempts: 3 },
  );

  // Failed for good: no attempt is still to come, whatever the schedule
  // (a retried refusal ends failed only after its third attempt).
  await waitFor(async () => (await job.getState()) === 'failed');
  const log = (await store.deliveries.list(fixture.job.id)).filter((d) => d.channel === 'email');
  assert.equal(log.length, 1, JSON.stringify(log));
  const [entry] = log;
  assert.equal(entry.ok, false);
  assert.equal(entry.error, 'invalid_address');
  assert.equal(entry.target, '[invalid address]');
  assert.equal(smtp.to('victim@example.com').length, 0);
  assert.equal(smtp.to('other@example.com').length, 0);
});

test('a redelivered completion sends no second webhook', async () => {
  const hook = receiver.route([200]);
  const fixture = await completedJob(store, { oncomplete: hook.url });
  await complete(fixture.job.id);
  await waitFor(async () => (await webhookLog(fixture.job.id)).length === 1);
  const event = await store.deliveries.getEvent(fixture.job.id);

  // The same completion again, past the queue's own de-duplication.
  for (const id of ['again-1', 'again-2']) {
    const job = await completions.add(
      'completion',
      { jobId: fixture.job.id },
      { jobId: `${id}-${fixture.job.id}` },
    );
    await waitFor(async () => (await job.getState()) === 'completed');
  }
  // Logged before its run ends: the job is completed a moment later.
  assert.equal(await webhookEnd(store, webhooks, fixture.job.id), 'completed');
  // A completion adds its webhook job as it runs: none was added again.
  const jobs = await webhooks.getJobs(['delayed', 'waiting', 'completed']);
  assert.equal(jobs.filter((j) => j.data.jobId === fixture.job.id).length, 1);

  assert.equal(receiver.at(hook.path).length, 1);
  assert.equal(await store.deliveries.getEvent(fixture.job.id), event);
  assert.equal((await webhookLog(fixture.job.id)).length, 1);
});

test('ops endpoints answer and metrics carry no ids', async () => {
  const base = `http://127.0.0.1:${notifier.port}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(
    metrics,
    /ingest_notifications_total\{[^}]*channel="webhook"[^}]*outcome="delivered"/,
  );
  assert.match(metrics, /outcome="stopped_410"/);
  assert.match(metrics, /outcome="gave_up"/);
  assert.match(metrics, /ingest_notification_duration_seconds_bucket/);
  assert.doesNotMatch(metrics, /evt_|127\.0\.0\.1|example\.com/);
});

test('logs hold no address, token, secret or payload', async () => {
  const text = logs.lines.join('');
  assert.match(text, /"msg":"delivered"/);
  assert.doesNotMatch(text, /example\.com/);
  assert.doesNotMatch(text, /client-secret/);
  assert.doesNotMatch(text, /whsec_/);
  assert.doesNotMatch(text, /no audio stream/);
});
