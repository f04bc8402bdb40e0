import { Queue, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  QUEUE_POLICIES,
  QUEUES,
  type QueuePolicy,
  type QueueName,
  type QueuePayloads,
} from './contracts';
import { KEY_PREFIX } from './redis-connection';
import { logWorkerErrors, type WorkerLogger } from './worker-errors';

export type TypedQueue<N extends QueueName> = Queue<QueuePayloads[N]>;
export type TypedJob<N extends QueueName> = Job<QueuePayloads[N]>;

/** Opens the producer side of a queue with its policy's job options. */
export function openQueue<N extends QueueName>(
  name: N,
  connection: Redis,
): TypedQueue<N> {
  const queue = new Queue<QueuePayloads[N]>(QUEUES[name], {
    connection,
    prefix: KEY_PREFIX,
    defaultJobOptions: QUEUE_POLICIES[name].job,
  });
  // Its errors are the connection's, which createRedis reports; without
  // a listener BullMQ prints each reconnect attempt to stderr.
  queue.on('error', () => {});
  return queue;
}

export interface WorkerSettings {
  concurrency: number;
  /** Gets the worker's own faults; reconnect attempts only at debug. */
  logger: WorkerLogger;
  /** Backoff for `{type:'schedule'}` jobs (deliveries), by attempt. */
  scheduleDelay?: (attemptsMade: number) => number;
  /**
   * Overrides the policy's lock (ms); stalled runs are then also looked
   * for at least this often, so a crashed worker's run is taken back
   * about one lock after the crash.
   */
  lockDurationMs?: number;
}

type Processor<N extends QueueName, R> = (
  job: TypedJob<N>,
  token?: string,
) => Promise<R>;

/**
 * Opens the consumer side of a queue with its policy's lock settings and
 * retention; for a queue fed by outside producers, also its retries.
 */
export function openWorker<N extends QueueName, R = unknown>(
  name: N,
  connection: Redis,
  processor: Processor<N, R>,
  settings: WorkerSettings,
): Worker<QueuePayloads[N], R> {
  const policy = QUEUE_POLICIES[name];
  const options: WorkerOptions = {
    connection,
    prefix: KEY_PREFIX,
    concurrency: settings.concurrency,
    lockDuration: policy.lockDurationMs,
    maxStalledCount: policy.maxStalledCount,
    // For jobs that name none: a plain `add` would otherwise be kept
    // for ever (BullMQ's default).
    removeOnComplete: policy.kept.completed,
    removeOnFail: policy.kept.failed,
    autorun: false,
  };
  if (settings.lockDurationMs) {
    options.lockDuration = settings.lockDurationMs;
    options.stalledInterval = Math.min(settings.lockDurationMs, 30_000);
  }
  if (settings.scheduleDelay) {
    const delay = settings.scheduleDelay;
    options.settings = { backoffStrategy: (attemptsMade) => delay(attemptsMade) };
  }
  const worker = new Worker<QueuePayloads[N], R>(
    QUEUES[name],
    policy.outsideProducers ? withPolicyRetries(processor, policy) : processor,
    options,
  );
  logWorkerErrors(worker, settings.logger);
  return worker;
}

/**
 * Gives each run the policy's attempts and backoff before it starts. The
 * worker reads them from the job in hand when the run fails, so a job
 * added with none (or other ones) is retried as the policy says. The
 * job's stored options are left as the producer sent them.
 */
function withPolicyRetries<N extends QueueName, R>(
  processor: Processor<N, R>,
  policy: QueuePolicy,
): Processor<N, R> {
  const { attempts, backoff } = policy.job;
  return (job, token) => {
    job.opts = { ...job.opts, attempts, backoff };
    return processor(job, token);
  };
}
