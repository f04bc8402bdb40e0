/**
 * End to end: who is emailed when a job completes (SPEC §2 "Jobs", §4).
 * A job made by createJob emails its `email`, or the site's contact when
 * it has none, beside any `oncomplete`; the main job emails no one but
 * its `oncomplete`.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ParsedMail } from 'mailparser';
import { jobIds, openQueue } from '@ingest/queue';
import {
  makeTone,
  smtpSink,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type SmtpSink,
  type TestSite,
  type TestStack,
  type WebhookReceiver,
} from '@ingest/testkit';

const CONTACT = 'contact@example.com';

let fixture: FixtureStack;
let files: LoopbackServer;
let smtp: SmtpSink;
let hooks: WebhookReceiver;
let stack: TestStack;
let site: TestSite;

before(async () => {
  smtp = await smtpSink();
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 'tone.wav'), { seconds: 1 }),
    env: { SMTP_URL: smtp.url },
    contactEmail: CONTACT,
  });
  ({ files, stack, site } = fixture);
  hooks = await webhookReceiver(site.secret);
});

after(async () => {
  await fixture?.close();
  await hooks?.close();
  await smtp?.close();
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

/** One upload into `jobId` (the main job when absent), published. */
async function runJob(jobId: number | undefined, oncomplete?: string) {
  const upload = await call('upload', {
    url: `${files.url}/tone.wav`,
    formats: 'mp3',
    ...(jobId ? { job_id: jobId } : {}),
  });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  const published = await call('publish', {
    ...(jobId ? { job_id: jobId } : {}),
    ...(oncomplete ? { oncomplete } : {}),
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const id = published.body.job_id as number;
  const check = await stack.waitForJob(site.token, id);
  assert.equal(check.d, 1, JSON.stringify(check));
  return id;
}

async function createJob(params: Record<string, unknown>) {
  const { status, body } = await call('createJob', params);
  assert.equal(status, 200, JSON.stringify(body));
  return body.job_id as number;
}

const recipient = (mail: ParsedMail) =>
  mail.to && !Array.isArray(mail.to) ? mail.to.text : '';

const mailsOf = (jobId: number) =>
  smtp.messages.filter((m) =>
    new RegExp(`^Job ${jobId}\\b`).test(m.subject ?? ''),
  );

/** Waits for the job's mail to arrive and answers its one recipient. */
async function mailOf(jobId: number, timeoutMs = 60_000): Promise<string> {
  const [mail] = await waitUntil(
    () => mailsOf(jobId).length > 0 && mailsOf(jobId),
    { timeoutMs, message: `no mail for job ${jobId}` },
  );
  return recipient(mail);
}

describe('job emails', () => {
  const jobs: Record<string, number> = {};

  test('createJob refuses an address with a line break or two people', async () => {
    for (const email of [
      'a@example.com\r\nBcc: b@example.com',
      'a@x.io, b@x.io',
      // A trailing line break is refused, not trimmed away (SPEC §4).
      'ops@example.com\r\n',
      // One the notifier could not send to (its SMTP may lack SMTPUTF8)
      // is refused here, not accepted and then dropped.
      'jöhn@example.com',
    ]) {
      const { status, body } = await call('createJob', { email });
      assert.equal(status, 400, JSON.stringify({ email, body }));
      assert.equal(body.code, 'invalid_address');
    }
    const publish = await call('publish', { oncomplete: 'ops@example.com\n' });
    assert.equal(publish.status, 400, JSON.stringify(publish.body));
    assert.equal(publish.body.code, 'invalid_address');
  });

  test('the main job with a webhook: the webhook, and no mail', async () => {
    jobs.main = await runJob(undefined, `${hooks.url}/main`);
    const [hook] = await hooks.waitFor(1);
    assert.equal(hook.body.job_id, jobs.main);

    // Every delivery is queued by the job's one completion run: once it
    // is done, no email job for the main job may exist.
    const completion = openQueue('completion', stack.redis);
    const email = openQueue('email', stack.redis);
    try {
      const runId = jobIds.completion(jobs.main);
      await waitUntil(
        async () => (await completion.getJobState(runId)) === 'completed',
        { message: 'completion never finished' },
      );
      const queued = await email.getJobs([
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'prioritized',
      ]);
      assert.deepEqual(
        queued.filter((j) => j.data.jobId === jobs.main),
        [],
      );
    } finally {
      await completion.close();
      await email.close();
    }
  });

  test('createJob with email: that address hears of the job', async () => {
    jobs.withEmail = await runJob(
      await createJob({ name: 'with email', email: 'producer@example.com' }),
    );
    assert.equal(await mailOf(jobs.withEmail), 'producer@example.com');
  });

  test('createJob without email: the site contact hears of the job', async () => {
    jobs.noEmail = await runJob(await createJob({ name: 'no email' }));
    assert.equal(await mailOf(jobs.noEmail), CONTACT);
  });

  test('createJob with email and a webhook: both are told', async () => {
    jobs.both = await runJob(
      await createJob({ name: 'both', email: 'label@example.com' }),
      `${hooks.url}/both`,
    );
    assert.equal(await mailOf(jobs.both), 'label@example.com');
    const received = await hooks.waitFor(2);
    assert.deepEqual(
      received.map((h) => h.body.job_id),
      [jobs.main, jobs.both],
    );
    assert.ok(received.every((h) => h.verified));
  });

  test('one mail per job and address, none for the main job', async () => {
    // By now every mail of the earlier jobs has had all the time the
    // later ones took to arrive; the delivery log says the same.
    assert.deepEqual(mailsOf(jobs.main), []);
    for (const key of ['withEmail', 'noEmail', 'both']) {
      assert.equal(mailsOf(jobs[key]).length, 1, key);
    }
    assert.equal(smtp.messages.length, 3);
    assert.equal(
      smtp.messages.filter((m) => recipient(m) === CONTACT).length,
      1,
      'the contact is told only of the job without its own email',
    );

    const main = await call('checkJob', { job_id: jobs.main });
    assert.deepEqual(
      main.body.deliveries.map((d: any) => d.channel),
      ['webhook'],
    );
    // An attempt is logged just after it is made: wait for both.
    const deadline = Date.now() + 30_000;
    let channels: string[] = [];
    while (channels.length < 2 && Date.now() < deadline) {
      const both = await call('checkJob', { job_id: jobs.both });
      channels = both.body.deliveries.map((d: any) => d.channel).sort();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(channels, ['email', 'webhook']);
  });
});
