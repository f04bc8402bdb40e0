import { Queue, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  QUEUE_POLICIES,
  QUEUES,
  scheduledRetries,
  type QueuePolicy,
  type QueueName,
  type QueuePayloads,
} from './contracts';
import { CheckedDataWorker, type DataCheck } from './checked-data-worker';
import { KEY_PREFIX } from './redis-connection';
import { RedisFullWatch } from './redis-full-watch';
import { RetryLaterError } from './retry-later-error';
import { logWorkerErrors, type WorkerLogger } from './worker-errors';

export type TypedQueue<N extends QueueName> = Queue<QueuePayloads[N]>;
export type TypedJob<N extends QueueName> = Job<QueuePayloads[N]>;

export interface QueueSettings {
  /**
   * The configured schedule of a delivery queue (ms, one entry per
   * retry): jobs added get its attempts. Needed only to add jobs.
   */
  scheduleMs?: number[];
}

/** Opens the producer side of a queue with its policy's job options. */
export function openQueue<N extends QueueName>(
  name: N,
  connection: Redis,
  settings: QueueSettings = {},
): TypedQueue<N> {
  const { job } = QUEUE_POLICIES[name];
  const queue = new Queue<QueuePayloads[N]>(QUEUES[name], {
    connection,
    prefix: KEY_PREFIX,
    defaultJobOptions: settings.scheduleMs
      ? { ...job, attempts: scheduledRetries(settings.scheduleMs).attempts }
      : job,
  });
  // Its errors are the connection's, which createRedis reports; without
  // a listener BullMQ prints each reconnect attempt to stderr.
  queue.on('error', () => {});
  return queue;
}

export interface WorkerSettings {
  /**
   * Jobs run at once, from a setting: only for a queue whose policy
   * says `configured`; the others run as many as their policy says.
   */
  concurrency?: number;
  /** Gets the worker's own faults; reconnect attempts only at debug. */
  logger: WorkerLogger;
  /**
   * Tells a full Redis once for the whole service; give the service's
   * one to each of its workers. Default: one of this worker's own.
   */
  redisFull?: RedisFullWatch;
  /**
   * The configured schedule of a delivery queue (ms): the delay before
   * each retry of its `{type:'schedule'}` jobs (see scheduledRetries).
   */
  scheduleMs?: number[];
  /**
   * Overrides the policy's lock (ms); stalled runs are then also looked
   * for at least this often, so a crashed worker's run is taken back
   * about one lock after the crash.
   */
  lockDurationMs?: number;
  /**
   * Judges each job's stored data (its JSON text) before BullMQ parses
   * it; a job it refuses runs with data `null` and `dataRefusalOf` set
   * (see CheckedDataWorker). For queues that outside producers write to.
   */
  dataCheck?: DataCheck;
  /**
   * With `dataCheck`: what a job whose stored options are no JSON object
   * (which BullMQ cannot read) is refused with.
   */
  optsRefusal?: Error;
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
    concurrency: concurrencyOf(name, policy, settings),
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
  if (settings.scheduleMs) {
    const { delay } = scheduledRetries(settings.scheduleMs);
    options.settings = {
      backoffStrategy: (attemptsMade, _type, err, job) =>
        delay(
          attemptsMade,
          err instanceof RetryLaterError ? err.retryAfterMs : 0,
          job ? Date.now() - job.timestamp : 0,
        ),
    };
  }
  const run = policy.outsideProducers
    ? withPolicyRetries(processor, policy)
    : processor;
  const worker = settings.dataCheck
    ? new CheckedDataWorker<QueuePayloads[N], R>(
        QUEUES[name],
        run,
        options,
        settings.dataCheck,
        connection,
        settings.optsRefusal,
      )
    : new Worker<QueuePayloads[N], R>(QUEUES[name], run, options);
  logWorkerErrors(
    worker,
    settings.logger,
    settings.redisFull ?? new RedisFullWatch(connection, settings.logger),
  );
  return worker;
}

/** The policy's concurrency, or the setting's where the policy says so. */
function concurrencyOf(
  name: QueueName,
  policy: QueuePolicy,
  settings: WorkerSettings,
): number {
  if (policy.concurrency !== 'configured') {
    if (settings.concurrency !== undefined) {
      throw new Error(
        `${name}: concurrency is fixed by QUEUE_POLICIES; give none`,
      );
    }
    return policy.concurrency;
  }
  if (settings.concurrency === undefined) {
    throw new Error(`${name}: concurrency comes from a setting; give it`);
  }
  return settings.concurrency;
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
