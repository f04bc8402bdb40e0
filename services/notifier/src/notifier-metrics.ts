import { Counter, Histogram, type Registry } from 'prom-client';

export type Channel = 'webhook' | 'email';

/** How one delivery attempt ended. */
export type Outcome = 'delivered' | 'retry' | 'gave_up' | 'stopped_410';

export interface NotifierMetrics {
  notifications: Counter<'channel' | 'outcome'>;
  duration: Histogram<'channel'>;
}

/** The outcomes an attempt of each channel can have. */
const OUTCOMES: Record<Channel, Outcome[]> = {
  webhook: ['delivered', 'retry', 'gave_up', 'stopped_410'],
  email: ['delivered', 'retry', 'gave_up'],
};

/** Labels carry only the channel and the outcome, never ids or URLs. */
export function createNotifierMetrics(registry: Registry): NotifierMetrics {
  const notifications = new Counter({
    name: 'ingest_notifications_total',
    help: 'Delivery attempts of job notifications, by outcome',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  // Every series is there at 0 from the start. One that appeared only at
  // its first count would start at 1, and Prometheus's increase() sees
  // no rise in it: the first webhook or email given up after a notifier
  // start would never fire the alert on `gave_up`.
  for (const [channel, outcomes] of Object.entries(OUTCOMES)) {
    for (const outcome of outcomes) notifications.inc({ channel, outcome }, 0);
  }
  return {
    notifications,
    duration: new Histogram({
      name: 'ingest_notification_duration_seconds',
      help: 'Time one delivery attempt took',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
