import {
  jobIds,
  type QueuePayloads,
  type TypedQueue,
} from '@ingest/queue';
import type { EmailPace } from './email-pace';

/**
 * Adds delivery jobs under deterministic ids, so a completion that runs
 * twice adds nothing the second time. Their attempts are the queues'
 * (opened with the configured schedules: see openQueue).
 */
export class DeliveryJobs {
  constructor(
    private readonly webhooks: TypedQueue<'webhook'>,
    private readonly emails: TypedQueue<'email'>,
    /** Paces pacedEmail; without one, those are sent at once. */
    private readonly pace?: EmailPace,
  ) {}

  async webhook(data: QueuePayloads['webhook']): Promise<void> {
    await this.webhooks.add('webhook', data, {
      jobId: jobIds.webhook(data.eventId),
    });
  }

  /** Adds an email job, sent once `delayMs` have passed (default: now). */
  async email(data: QueuePayloads['email'], delayMs = 0): Promise<void> {
    await this.emails.add('email', data, {
      jobId: jobIds.email(data.eventId, data.reason, data.to),
      ...(delayMs > 0 ? { delay: delayMs } : {}),
    });
  }

  /**
   * Sees that an email job is there to run: added when gone, retried
   * from its first attempt when it failed; left alone while it waits or
   * runs, or once it completed.
   */
  async ensureEmail(data: QueuePayloads['email']): Promise<void> {
    const id = jobIds.email(data.eventId, data.reason, data.to);
    const job = await this.emails.getJob(id);
    if (!job) return this.email(data);
    if (await job.isFailed()) {
      await job.retry('failed', {
        resetAttemptsMade: true,
        resetAttemptsStarted: true,
      });
    }
  }

  /**
   * Adds an email of a site's job to an address the client chose, sent
   * when the site's pace lets it (EmailPace): later, never dropped.
   */
  async pacedEmail(siteId: number, data: QueuePayloads['email']) {
    const id = jobIds.email(data.eventId, data.reason, data.to);
    const delayMs = (await this.pace?.delayOf(siteId, id)) ?? 0;
    await this.email(data, delayMs);
  }
}
