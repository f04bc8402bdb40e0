/**
 * A site whose receiver is dead gives up on every job's webhook: its
 * contact hears of the first at once, and of the rest in one email when
 * the window ends, not once per job.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { jobIds, openQueue, type TypedQueue } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import { startNotifier, type RunningNotifier } from './notifier';
import {
  completedJob,
  HookReceiver,
  MailCatcher,
  memoryLogger,
  notifierGround,
  notifierSettings,
  sleep,
  waitFor,
  webhookEnd,
  type NotifierGround,
} from './test-support';

const WINDOW_MS = 4_000;
let ground: NotifierGround;
let store: StateStore;
let completions: TypedQueue<'completion'>;
let webhooks: TypedQueue<'webhook'>;
let receiver: HookReceiver;
let smtp: MailCatcher;
let notifier: RunningNotifier;

before(async () => {
  ground = await notifierGround('cap');
  store = ground.store;
  completions = openQueue('completion', ground.redis);
  webhooks = openQueue('webhook', ground.redis);
  receiver = await HookReceiver.start();
  smtp = await MailCatcher.start();
  const config = loadConfig(
    notifierSettings(ground.redisServer.url, ground.dataDir, {
      SMTP_URL: smtp.url,
      INGEST_WEBHOOK_SCHEDULE: '100ms',
      INGEST_EMAIL_SCHEDULE: '100ms,200ms',
    }),
  );
  notifier = await startNotifier(config, {
    logger: memoryLogger().logger,
    contactWindowMs: WINDOW_MS,
  });
});

after(async () => {
  await notifier?.close();
  await completions?.close();
  await webhooks?.close();
  await receiver?.close();
  await smtp?.close();
  await ground?.close();
});

/** Completes `count` jobs of one site whose webhooks all answer 500. */
async function deadReceiverJobs(count: number, siteId?: number) {
  const hook = receiver.route([500]);
  const ids: number[] = [];
  let site = siteId;
  for (let i = 0; i < count; i++) {
    const fixture = await completedJob(store, {
      oncomplete: hook.url,
      contactEmail: 'ops@example.com',
      siteId: site,
    });
    site = fixture.site.id;
    ids.push(fixture.job.id);
    await completions.add('completion', { jobId: fixture.job.id }, {
      jobId: jobIds.completion(fixture.job.id),
    });
  }
  for (const id of ids) {
    assert.equal(await webhookEnd(store, webhooks, id), 'failed');
  }
  return { siteId: site!, ids };
}

const emailRows = async (jobId: number) =>
  (await store.deliveries.list(jobId)).filter((d) => d.channel === 'email');

test('give-ups within a window are told in one digest, not one email each', async () => {
  const contact = 'ops@example.com';
  const started = Date.now();
  const { siteId, ids } = await deadReceiverJobs(6);
  const [first, ...rest] = ids;

  const [told] = await waitFor(() => smtp.to(contact).length > 0 && smtp.to(contact));
  assert.match(told.subject ?? '', new RegExp(`Job ${first}: webhook`));
  assert.match(told.text ?? '', /within the next 4 seconds are listed together/);
  // The rest wait for the window's end.
  await sleep(Math.max(0, WINDOW_MS - (Date.now() - started) - 1_000));
  assert.equal(smtp.to(contact).length, 1, 'more than one email in the window');

  const [, digest] = await waitFor(
    () => smtp.to(contact).length > 1 && smtp.to(contact),
    10_000,
  );
  assert.equal(digest.subject, 'Webhook delivery failed for 5 jobs');
  for (const id of rest) {
    assert.match(digest.text ?? '', new RegExp(`^Job ${id} "main": .* failed 2 times; ` +
      'last error: HTTP 500$', 'm'));
  }
  assert.doesNotMatch(digest.text ?? '', new RegExp(`^Job ${first} `, 'm'));
  // Every job's log shows the email that told of it.
  for (const id of ids) {
    const rows = await waitFor(async () => {
      const found = await emailRows(id);
      return found.length > 0 && found;
    });
    assert.deepEqual(rows.map((row) => row.ok), [true], `job ${id}`);
  }

  // The digest opened the next window: a give-up now is held again.
  const later = await deadReceiverJobs(1, siteId);
  await sleep(1_000);
  assert.equal(smtp.to(contact).length, 2, 'a give-up told at once in a window');
  const [, , next] = await waitFor(
    () => smtp.to(contact).length > 2 && smtp.to(contact),
    10_000,
  );
  assert.equal(next.subject, 'Webhook delivery failed for 1 job');
  assert.match(next.text ?? '', new RegExp(`^Job ${later.ids[0]} `, 'm'));
  await sleep(WINDOW_MS + 1_000);
  assert.equal(smtp.to(contact).length, 3);
});
