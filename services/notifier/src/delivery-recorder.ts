import type { DeliveryAttempt, StateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import type { Channel, NotifierMetrics, Outcome } from './notifier-metrics';

export interface AttemptRecord {
  channel: Channel;
  jobId: number;
  eventId: string;
  /** Origin of a URL or a masked address; never a query string. */
  target: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  outcome: Outcome;
  status?: number;
  error?: string;
  /** The request id the job's delivery came with, for the log line. */
  requestId?: string;
  /**
   * The jobs whose logs get the row, when not `jobId` alone: those a
   * digest email lists and that still exist.
   */
  logTo?: number[];
}

/**
 * Writes one delivery attempt everywhere it belongs: the job's delivery
 * log (read through the API), the metrics and one log line.
 */
export class DeliveryRecorder {
  constructor(
    private readonly store: StateStore,
    private readonly metrics: NotifierMetrics,
    private readonly logger: Logger,
  ) {}

  async record(entry: AttemptRecord): Promise<void> {
    const attempt: DeliveryAttempt = {
      channel: entry.channel,
      target: entry.target,
      eventId: entry.eventId,
      attempt: entry.attempt,
      at: entry.startedAt.toISOString(),
      durationMs: Math.round(entry.durationMs),
      ok: entry.outcome === 'delivered',
      status: entry.status,
      error: entry.error,
    };
    for (const jobId of entry.logTo ?? [entry.jobId]) {
      await this.store.deliveries.record(jobId, attempt);
    }

    const { channel, outcome } = entry;
    this.metrics.notifications.inc({ channel, outcome });
    this.metrics.duration.observe({ channel }, entry.durationMs / 1000);

    const fields = {
      jobId: entry.jobId,
      eventId: entry.eventId,
      requestId: entry.requestId,
      queue: channel,
      attempt: entry.attempt,
      durationMs: attempt.durationMs,
      outcome,
      status: entry.status,
      error: entry.error,
    };
    if (outcome === 'delivered') this.logger.info(fields, 'delivered');
    else this.logger.warn(fields, 'delivery failed');
  }
}
