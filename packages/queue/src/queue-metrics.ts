import type { Queue, Worker } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Queue states an operator watches; KEDA scales on waiting, prioritized
 * and active.
 */
export const WATCHED_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'failed',
] as const;

/**
 * How long a scrape waits for the queue counts. ioredis holds a command
 * through a Redis outage until Redis is back, so an unbounded read would
 * hold the whole `/metrics` answer (and every other metric of the
 * service) for as long as Redis is away. Same bound as `/readyz`'s PING.
 */
export const QUEUE_DEPTH_TIMEOUT_MS = 2_000;

type Counts = Record<string, number>;

/**
 * `ingest_queue_jobs{queue,state}`, read from Redis at scrape time. Any
 * service may expose it; dashboards take `max` across instances. When
 * Redis does not answer within `timeoutMs` the series are left out of
 * that scrape rather than repeated from an earlier one: no number is
 * better than a stale one while the queues cannot be read.
 */
export function registerQueueDepth(
  registry: Registry,
  queues: Queue[],
  timeoutMs = QUEUE_DEPTH_TIMEOUT_MS,
) {
  new Gauge({
    name: 'ingest_queue_jobs',
    help: 'Jobs in each queue by state, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const read = Promise.all(
        queues.map((queue) => queue.getJobCounts(...WATCHED_STATES)),
      );
      const all = await withinTime(read, timeoutMs);
      this.reset();
      if (!all) return;
      queues.forEach((queue, i) => {
        for (const state of WATCHED_STATES) {
          this.set({ queue: queue.name, state }, all[i][state] ?? 0);
        }
      });
    },
  });
}

/** What `read` gives within `ms`, or undefined if it fails or is late. */
async function withinTime(
  read: Promise<Counts[]>,
  ms: number,
): Promise<Counts[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  const answer = read.catch(() => undefined);
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `ingest_jobs_total{queue,outcome}`: what a worker finished, and
 * (`stalled`) the runs it took back from a worker that lost them.
 */
export function countWorkerJobs(registry: Registry, worker: Worker) {
  const existing = registry.getSingleMetric('ingest_jobs_total');
  const counter =
    (existing as Counter<'queue' | 'outcome'> | undefined) ??
    new Counter({
      name: 'ingest_jobs_total',
      help:
        'Queue jobs finished by this process, by queue and outcome; ' +
        'stalled: runs it took back after their lock lapsed',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    });
  worker.on('completed', () =>
    counter.inc({ queue: worker.name, outcome: 'completed' }),
  );
  worker.on('failed', () =>
    counter.inc({ queue: worker.name, outcome: 'failed' }),
  );
  worker.on('stalled', () =>
    counter.inc({ queue: worker.name, outcome: 'stalled' }),
  );
}
