/**
 * A webhook put off for want of a site slot, whose move back to the
 * queue Redis refuses (a failover's READONLY answer): no attempt is
 * counted, and the job comes back once its lock lapses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { safeRequest } from '@ingest/net';
import {
  createRedis,
  jobIds,
  openQueue,
  openWorker,
  type TypedJob,
  type TypedQueue,
} from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import { recordingLogger, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { ContactNotices } from './contact-notices';
import { DeliveryJobs } from './delivery-jobs';
import { DeliveryRecorder } from './delivery-recorder';
import { createNotifierMetrics } from './notifier-metrics';
import {
  completedJob,
  HookReceiver,
  memoryLogger,
  notifierGround,
  type NotifierGround,
} from './test-support';
import { SiteSlots } from './site-slots';
import { createWebhookProcessor } from './webhook-processor';

let ground: NotifierGround;
let redis: Redis;
let store: StateStore;
let webhooks: TypedQueue<'webhook'>;
let emails: TypedQueue<'email'>;
let receiver: HookReceiver;

before(async () => {
  ground = await notifierGround('put-off');
  ({ redis, store } = ground);
  webhooks = openQueue('webhook', redis, { scheduleMs: [100, 100] });
  emails = openQueue('email', redis);
  receiver = await HookReceiver.start();
});

after(async () => {
  await webhooks?.close();
  await emails?.close();
  await receiver?.close();
  await ground?.close();
});

test('a put-off Redis refuses counts no attempt; the job comes back', async () => {
  const hook = receiver.route([204]);
  const fixture = await completedJob(store, { oncomplete: hook.url });
  const eventId = `evt_${fixture.job.id}_put_off`;
  await store.deliveries.putEvent(fixture.job.id, JSON.stringify({ ok: 1 }));
  const log = recordingLogger();
  const deps = {
    store,
    post: safeRequest,
    notices: new ContactNotices(redis, new DeliveryJobs(webhooks, emails)),
    recorder: new DeliveryRecorder(
      store,
      createNotifierMetrics(new Registry()),
      memoryLogger().logger,
    ),
    logger: log.logger,
    timeoutMs: 2_000,
    allowPrivateUrls: true,
  };
  // First run: no slot free, and Redis refuses the put-off.
  const full = createWebhookProcessor({ ...deps, slots: new SiteSlots(0, 0) });
  const free = createWebhookProcessor(deps);
  let runs = 0;
  const processor = (job: TypedJob<'webhook'>, token?: string) => {
    runs += 1;
    if (runs > 1) return free(job, token);
    job.moveToDelayed = async () => {
      throw new Error("READONLY You can't write against a read only replica.");
    };
    return full(job, token);
  };
  const connection = createRedis(ground.redisServer.url, 'worker');
  const worker = openWorker('webhook', connection, processor, {
    logger: recordingLogger().logger,
    scheduleMs: [100, 100],
    lockDurationMs: 1_000,
  });
  void worker.run();
  try {
    await webhooks.add(
      'webhook',
      { jobId: fixture.job.id, eventId, url: hook.url },
      { jobId: jobIds.webhook(eventId) },
    );
    await waitUntil(async () => (await store.deliveries.list(fixture.job.id)).length > 0, {
      timeoutMs: 15_000,
      message: () => `no delivery; ${runs} runs`,
    });
  } finally {
    await worker.close();
    connection.disconnect();
  }

  const rows = await store.deliveries.list(fixture.job.id);
  assert.deepEqual(
    rows.map((row) => [row.attempt, row.ok, row.status]),
    [[1, true, 204]],
  );
  assert.equal(receiver.at(hook.path).length, 1);
  assert.equal(runs, 2);
  const [warned] = log.at('warn');
  assert.equal(warned.message, 'webhook put-off failed; the job comes back when its lock lapses');
});
