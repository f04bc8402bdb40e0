/**
 * A running notifier with everything its deliveries reach, for the
 * integration tests of what a site's contact and addresses are told:
 * its own Redis, queues, a webhook receiver and an SMTP server.
 */
import assert from 'node:assert/strict';
import { loadConfig } from '@ingest/config';
import { jobIds, openQueue, type TypedQueue } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import { startNotifier, type NotifierDeps, type RunningNotifier } from './notifier';
import {
  completedJob,
  HookReceiver,
  MailCatcher,
  memoryLogger,
  notifierGround,
  notifierSettings,
  waitFor,
  webhookEnd,
  type NotifierGround,
} from './test-support';

export interface DeliveryGround {
  ground: NotifierGround;
  store: StateStore;
  completions: TypedQueue<'completion'>;
  webhooks: TypedQueue<'webhook'>;
  emails: TypedQueue<'email'>;
  receiver: HookReceiver;
  smtp: MailCatcher;
  notifier: RunningNotifier;
  /** The notifier's log lines (JSON), as written. */
  logs: string[];
  /** Closes all of it. */
  close(): Promise<void>;
}

/**
 * Starts the notifier with fast schedules (webhooks 100ms, emails
 * 100ms,200ms) and `settings` on top, mail going to the ground's SMTP
 * server.
 */
export async function deliveryGround(
  name: string,
  settings: Record<string, string>,
  deps: Omit<NotifierDeps, 'logger'>,
): Promise<DeliveryGround> {
  const ground = await notifierGround(name);
  const completions = openQueue('completion', ground.redis);
  const webhooks = openQueue('webhook', ground.redis);
  const emails = openQueue('email', ground.redis);
  const receiver = await HookReceiver.start();
  const smtp = await MailCatcher.start();
  const config = loadConfig(
    notifierSettings(ground.redisServer.url, ground.dataDir, {
      SMTP_URL: smtp.url,
      INGEST_WEBHOOK_SCHEDULE: '100ms',
      INGEST_EMAIL_SCHEDULE: '100ms,200ms',
      ...settings,
    }),
  );
  const { logger, lines: logs } = memoryLogger();
  const notifier = await startNotifier(config, { ...deps, logger });
  return {
    ground,
    store: ground.store,
    completions,
    webhooks,
    emails,
    receiver,
    smtp,
    notifier,
    logs,
    async close() {
      await notifier.close();
      await Promise.all([completions.close(), webhooks.close(), emails.close()]);
      await receiver.close();
      await smtp.close();
      await ground.close();
    },
  };
}

/** Completes a job of the site (a new one without `siteId`). */
export async function completeJob(
  ground: DeliveryGround,
  options: { oncomplete: string; siteId?: number; contact?: string },
) {
  const { job, site } = await completedJob(ground.store, {
    oncomplete: options.oncomplete,
    siteId: options.siteId,
    contactEmail: options.contact,
  });
  await ground.completions.add('completion', { jobId: job.id }, {
    jobId: jobIds.completion(job.id),
  });
  return { job, siteId: site.id };
}

/**
 * Completes `count` jobs of one site (a new one with `contact` as its
 * contact address, or `siteId`'s) whose webhooks all answer 500, and
 * waits until each has given up.
 */
export async function deadReceiverJobs(
  ground: DeliveryGround,
  count: number,
  options: { contact?: string; siteId?: number } = {},
) {
  const hook = ground.receiver.route([500]);
  const ids: number[] = [];
  let siteId = options.siteId;
  for (let i = 0; i < count; i++) {
    const contact = options.contact ?? 'ops@example.com';
    const done = await completeJob(ground, { oncomplete: hook.url, siteId, contact });
    siteId = done.siteId;
    ids.push(done.job.id);
  }
  for (const id of ids) {
    assert.equal(await webhookEnd(ground.store, ground.webhooks, id), 'failed');
  }
  return { siteId: siteId as number, ids };
}

/** The email rows of a job's delivery log. */
export async function emailRows(ground: DeliveryGround, jobId: number) {
  const rows = await ground.store.deliveries.list(jobId);
  return rows.filter((d) => d.channel === 'email');
}

/** A job's email rows, once it has some. */
export function toldRows(ground: DeliveryGround, jobId: number) {
  return waitFor(async () => {
    const found = await emailRows(ground, jobId);
    return found.length > 0 && found;
  });
}
