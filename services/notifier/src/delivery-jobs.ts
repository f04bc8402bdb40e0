import {
  jobIds,
  type QueuePayloads,
  type TypedQueue,
} from '@ingest/queue';

/**
 * Adds delivery jobs under deterministic ids, so a completion that runs
 * twice adds nothing the second time. Their attempts are the queues'
 * (opened with the configured schedules: see openQueue).
 */
export class DeliveryJobs {
  constructor(
    private readonly webhooks: TypedQueue<'webhook'>,
    private readonly emails: TypedQueue<'email'>,
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
}
