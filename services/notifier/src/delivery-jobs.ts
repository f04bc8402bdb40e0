import {
  jobIds,
  type QueuePayloads,
  type TypedQueue,
} from '@ingest/queue';

/**
 * Adds delivery jobs under deterministic ids, so a completion that runs
 * twice adds nothing the second time. Attempts follow the configured
 * schedule: the first try plus one per entry.
 */
export class DeliveryJobs {
  constructor(
    private readonly webhooks: TypedQueue<'webhook'>,
    private readonly emails: TypedQueue<'email'>,
    private readonly schedules: { webhookMs: number[]; emailMs: number[] },
  ) {}

  async webhook(data: QueuePayloads['webhook']): Promise<void> {
    await this.webhooks.add('webhook', data, {
      jobId: jobIds.webhook(data.eventId),
      attempts: this.schedules.webhookMs.length + 1,
    });
  }

  async email(data: QueuePayloads['email']): Promise<void> {
    await this.emails.add('email', data, {
      jobId: jobIds.email(data.eventId, data.reason, data.to),
      attempts: this.schedules.emailMs.length + 1,
    });
  }
}
