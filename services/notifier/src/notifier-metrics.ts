import { Counter, Histogram, type Registry } from 'prom-client';

export type Channel = 'webhook' | 'email';

/** How one delivery attempt ended. */
export type Outcome = 'delivered' | 'retry' | 'gave_up' | 'stopped_410';

export interface NotifierMetrics {
  notifications: Counter<'channel' | 'outcome'>;
  duration: Histogram<'channel'>;
}

/** Labels carry only the channel and the outcome, never ids or URLs. */
export function createNotifierMetrics(registry: Registry): NotifierMetrics {
  return {
    notifications: new Counter({
      name: 'ingest_notifications_total',
      help: 'Delivery attempts of job notifications, by outcome',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'ingest_notification_duration_seconds',
      help: 'Time one delivery attempt took',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
