import type { Queue, Worker } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Queue states an operator watches; KEDA scales on the first two. */
export const WATCHED_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'failed',
] as const;

/**
 * `ingest_queue_jobs{queue,state}`, read from Redis at scrape time. Any
 * service may expose it; dashboards take `max` across instances.
 */
export function registerQueueDepth(registry: Registry, queues: Queue[]) {
  new Gauge({
    name: 'ingest_queue_jobs',
    help: 'Jobs in each queue by state, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...WATCHED_STATES);
        for (const state of WATCHED_STATES) {
          this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      }
    },
  });
}

/** `ingest_jobs_total{queue,outcome}`: what a worker finished. */
export function countWorkerJobs(registry: Registry, worker: Worker) {
  const existing = registry.getSingleMetric('ingest_jobs_total');
  const counter =
    (existing as Counter<'queue' | 'outcome'> | undefined) ??
    new Counter({
      name: 'ingest_jobs_total',
      help: 'Queue jobs finished by this process, by queue and outcome',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    });
  worker.on('completed', () =>
    counter.inc({ queue: worker.name, outcome: 'completed' }),
  );
  worker.on('failed', () =>
    counter.inc({ queue: worker.name, outcome: 'failed' }),
  );
}
