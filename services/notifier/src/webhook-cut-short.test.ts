/**
 * A webhook's last attempt cut short by a shutdown is handed back and
 * runs again: it is a retry, not a give-up, in the metrics and the log.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { safeRequest } from '@ingest/net';
import { openQueue, type TypedJob, type TypedQueue } from '@ingest/queue';
import { listenOnLoopback } from '@ingest/testkit';
import { Registry } from 'prom-client';
import { ContactNotices } from './contact-notices';
import { DeliveryJobs } from './delivery-jobs';
import { DeliveryRecorder } from './delivery-recorder';
import { createNotifierMetrics } from './notifier-metrics';
import {
  completedJob,
  memoryLogger,
  notifierGround,
  waitFor,
  type NotifierGround,
} from './test-support';
import { createWebhookProcessor } from './webhook-processor';

let ground: NotifierGround;
let webhooks: TypedQueue<'webhook'>;
let emails: TypedQueue<'email'>;

before(async () => {
  ground = await notifierGround('cut-short');
  webhooks = openQueue('webhook', ground.redis);
  emails = openQueue('email', ground.redis);
});

after(async () => {
  await webhooks?.close();
  await emails?.close();
  await ground?.close();
});

test('a last attempt cut short by a shutdown is no give-up', async () => {
  const { store, redis } = ground;
  let posts = 0;
  // Takes the POST and never answers.
  const hook = await listenOnLoopback(
    http.createServer((req) => {
      posts += 1;
      req.resume();
    }),
  );
  const registry = new Registry();
  const log = memoryLogger();
  const shutdown = new AbortController();
  const fixture = await completedJob(store, {
    oncomplete: `${hook.url}/h`,
    contactEmail: 'ops@example.com',
  });
  const eventId = `evt_${fixture.job.id}_cut_short`;
  await store.deliveries.putEvent(fixture.job.id, JSON.stringify({ ok: 1 }));
  const processor = createWebhookProcessor({
    store,
    post: safeRequest,
    notices: new ContactNotices(redis, new DeliveryJobs(webhooks, emails)),
    recorder: new DeliveryRecorder(
      store,
      createNotifierMetrics(registry),
      log.logger,
    ),
    timeoutMs: 60_000,
    allowPrivateUrls: true,
    signal: shutdown.signal,
  });
  // The last of three attempts.
  const job = {
    data: { jobId: fixture.job.id, eventId, url: `${hook.url}/h` },
    attemptsMade: 2,
    opts: { attempts: 3 },
  } as unknown as TypedJob<'webhook'>;
  try {
    const run = processor(job);
    await waitFor(() => posts === 1);
    shutdown.abort(new Error('handed back'));
    await assert.rejects(run, /handed back|abort/i);
  } finally {
    await hook.close();
  }

  const counted = await registry.getSingleMetric('ingest_notifications_total')?.get();
  const webhook = counted?.values.filter((v) => v.labels.channel === 'webhook');
  const byOutcome = Object.fromEntries(
    (webhook ?? []).map((v) => [v.labels.outcome, v.value]),
  );
  assert.equal(byOutcome.gave_up, 0, 'a run that comes back gave nothing up');
  assert.equal(byOutcome.retry, 1);
  const rows = await store.deliveries.list(fixture.job.id);
  assert.deepEqual(
    rows.map((d) => [d.attempt, d.ok, d.error]),
    [[3, false, 'cut_short_by_shutdown']],
  );
  const lines = log.lines.map((line) => JSON.parse(line));
  const failed = lines.filter((l) => l.msg === 'delivery failed');
  assert.deepEqual(failed.map((l) => l.outcome), ['retry']);
  assert.equal(await emails.count(), 0, 'the contact is told of nothing');
});
