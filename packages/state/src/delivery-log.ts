import type { Redis } from 'ioredis';
import { keys } from './keys';

/** One attempt to deliver a job's notification (SPEC §4 log). */
export interface DeliveryAttempt {
  channel: 'webhook' | 'email';
  target: string;
  eventId: string;
  attempt: number;
  at: string;
  durationMs: number;
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * A job's completion event, stored once so every retry sends the same
 * id and body, and the log of every attempt to deliver it.
 */
export class DeliveryLog {
  constructor(private readonly redis: Redis) {}

  /** Stores the job's event once; returns the stored one. */
  async putEvent(jobId: number, event: string): Promise<string> {
    await this.redis.set(keys.jobEvent(jobId), event, 'NX');
    return (await this.redis.get(keys.jobEvent(jobId))) ?? event;
  }

  async getEvent(jobId: number): Promise<string | undefined> {
    return (await this.redis.get(keys.jobEvent(jobId))) ?? undefined;
  }

  async record(jobId: number, attempt: DeliveryAttempt): Promise<void> {
    const row = JSON.stringify(attempt);
    await this.redis.rpush(keys.jobDeliveries(jobId), row);
  }

  async list(jobId: number): Promise<DeliveryAttempt[]> {
    const rows = await this.redis.lrange(keys.jobDeliveries(jobId), 0, -1);
    return rows.map((row) => JSON.parse(row) as DeliveryAttempt);
  }
}
