import { createHash } from 'node:crypto';
import type { JobsOptions, KeepJobs } from 'bullmq';

/** Every queue of the project, by name. */
export const QUEUES = {
  transcode: 'transcode',
  completion: 'completion',
  webhook: 'webhook',
  email: 'email',
  index: 'index',
  autopublish: 'autopublish',
  imports: 'imports',
} as const;

export type QueueName = keyof typeof QUEUES;

/** Why an email is sent; it picks the template and the recipient. */
export type EmailReason =
  | 'oncomplete'
  | 'job-email'
  | 'webhook-exhausted'
  /** The webhook give-ups a site's contact was not told of one by one. */
  | 'webhook-digest';

/** The payload of each queue. Adding a queue means adding it here. */
export interface QueuePayloads {
  /** Transcode, verify and publish one upload, or apply one update. */
  transcode: {
    uploadId: number;
    updateId?: number;
    requestId?: string;
    /**
     * Set by a transcoder that put the run back because the store could
     * not be reached: when that first happened (epoch ms) and how often.
     */
    storageWait?: { since: number; times: number };
  };
  /** A job reached `complete`: build its event and fan out deliveries. */
  completion: { jobId: number; requestId?: string };
  /** Deliver the job's event to a webhook URL. */
  webhook: { jobId: number; eventId: string; url: string; requestId?: string };
  /** Send the job's summary to one address. */
  email: {
    jobId: number;
    eventId: string;
    to: string;
    reason: EmailReason;
    requestId?: string;
    /**
     * The site a `webhook-digest` tells of: its first job may be gone.
     * Digests added before it was set name none; `jobId`'s site then.
     */
    siteId?: number;
  };
  /** Add a published track to the search index, or take it out. */
  index: { trackId: number; op: 'add' | 'remove' };
  /**
   * An autopublish job's idle time passed: publish it if still open. With
   * `handover`, the check that follows every publish: hand over what a
   * publishing job still holds queued.
   */
  autopublish: { jobId: number; requestId?: string; handover?: boolean };
  /** An upload sent by a service that shares the Redis (no HTTP hop). */
  imports: ImportPayloadV1;
}

/** The payload version gateways read on the `imports` queue. */
export const IMPORT_PAYLOAD_VERSION = 1;

/**
 * Version 1 of an inbound import (docs/inbound-queue.md): the parameters
 * of `/api/import/upload`, checked by the same code. Fields are only ever
 * added to v1 as optional ones; any other change is a new version.
 */
export interface ImportPayloadV1 {
  v: 1;
  /** The site the upload belongs to: Redis access already owns it. */
  siteId: number;
  /**
   * A URL the gateway fetches (as `url`), or an object the producer put
   * in the shared storage under `inbound/`, which the gateway copies.
   */
  source: { url: string } | { storageKey: string; filename: string };
  /** `formats`: mp3, wav, aiff, flac. */
  formats?: string[];
  /** `meta`: field name → value; wins over the file's tags. */
  meta?: Record<string, string>;
  /** `job_id`; default the site's main job. */
  jobId?: number;
  /** `upload_id`: attach as a secondary source of that upload. */
  uploadId?: number;
  /** `oncomplete`: email address or URL told when the job completes. */
  oncomplete?: string;
  /** `autopublish=1`. */
  autopublish?: boolean;
  /** Joins the gateway's log lines to the producer's. */
  requestId?: string;
}

/** Per-queue job options and worker settings, in one table. */
export interface QueuePolicy {
  job: JobsOptions;
  /**
   * How long finished jobs are kept; the worker applies it to jobs that
   * name no `removeOnComplete` / `removeOnFail` of their own.
   */
  kept: { completed: KeepJobs; failed: KeepJobs };
  /**
   * Producers outside this project add jobs (a plain BullMQ `add` sets no
   * options): the worker then retries by `job`'s attempts and backoff,
   * whatever the job carries.
   */
  outsideProducers: boolean;
  /** How long a worker's lock lasts before the job counts as stalled. */
  lockDurationMs: number;
  /** How often a stalled job may be taken back before it fails. */
  maxStalledCount: number;
  /**
   * Jobs one worker runs at once: fixed here, or `configured` when a
   * setting gives it (the worker is then opened with that value).
   */
  concurrency: number | 'configured';
}

const DAY_S = 86_400;

type Retries = Pick<JobsOptions, 'attempts' | 'backoff'>;

/** `attempts` tries in all, the delay doubling from `firstMs`. */
const exponential = (attempts: number, firstMs: number): Retries => ({
  attempts,
  backoff: { type: 'exponential', delay: firstMs },
});

/**
 * Deliveries: attempts and delays follow the configured schedules,
 * given to openQueue and openWorker (see scheduledRetries).
 */
const scheduled = (): Retries => ({ backoff: { type: 'schedule' } });

/**
 * One row of the table: finished jobs are kept `keptDays` days (those
 * that completed, those that failed).
 */
function policy(
  retries: Retries,
  keptDays: [completed: number, failed: number],
  lockDurationMs: number,
  maxStalledCount: number,
  concurrency: number | 'configured',
  outsideProducers = false,
): QueuePolicy {
  const kept = {
    completed: { age: keptDays[0] * DAY_S },
    failed: { age: keptDays[1] * DAY_S },
  };
  return {
    job: {
      ...retries,
      removeOnComplete: kept.completed,
      removeOnFail: kept.failed,
    },
    kept,
    outsideProducers,
    lockDurationMs,
    maxStalledCount,
    concurrency,
  };
}

const CONFIGURED = 'configured';

// At once: jobs one worker runs together. Deliveries mostly wait on the
// network. Transcodes and imports run as many as TRANSCODER_CONCURRENCY
// and INGEST_IMPORT_CONCURRENCY say.
export const QUEUE_POLICIES: Record<QueueName, QueuePolicy> = {
  //                  retries                 kept days  lock ms  stalls  at once
  transcode:   policy(exponential(3, 5_000),  [1, 7],    60_000,  3,      CONFIGURED),
  completion:  policy(exponential(20, 1_000), [30, 30],  30_000,  5,      4),
  webhook:     policy(scheduled(),            [30, 30],  60_000,  5,      16),
  email:       policy(scheduled(),            [30, 30],  60_000,  5,      4),
  index:       policy(exponential(20, 1_000), [1, 30],   30_000,  5,      4),
  // Delayed by the idle setting; see autopublishOptions().
  autopublish: policy(exponential(10, 2_000), [1, 7],    30_000,  5,      2),
  // Refusals fail at once (UnrecoverableError); only crashes are retried.
  // Answers are kept for the producer to read: a day, failures a week.
  // Any BullMQ client may add these: the worker enforces the policy.
  imports:     policy(exponential(3, 5_000),  [1, 7],    60_000,  2,      CONFIGURED, true),
};

/** Job ids are deterministic so a repeated add is a no-op. */
export const jobIds = {
  transcode: (uploadId: number, generation = 0) =>
    generation ? `u${uploadId}-g${generation}` : `u${uploadId}`,
  completion: (jobId: number) => `c${jobId}`,
  webhook: (eventId: string) => `w-${eventId}`,
  email: (eventId: string, reason: EmailReason, to: string) =>
    // The address itself must not show in job ids or Redis keys.
    `m-${eventId}-${reason}-${createHash('sha256')
      .update(to.toLowerCase())
      .digest('hex')
      .slice(0, 16)}`,
  // One add per version of a track (the upload or update that made it):
  // a retried publish adds nothing, a later version is indexed again.
  index: (trackId: number, op: 'add' | 'remove', version = '') =>
    op === 'add' ? `ia-t${trackId}-${version}` : `ir-t${trackId}`,
};

/**
 * The options of an ingest job's autopublish timer: one delayed queue
 * job per ingest job, whose delay starts again from `idleMs` each time
 * it is added while still delayed (BullMQ deduplication with
 * `reschedule`, one atomic script, so any number of gateways agree).
 */
export function autopublishOptions(jobId: number, idleMs: number): JobsOptions {
  return {
    delay: idleMs,
    deduplication: { id: `a${jobId}`, reschedule: true },
  };
}

/** How long after a publish its hand-over is checked. */
export const HANDOVER_CHECK_MS = 60_000;

/**
 * The options of the check that follows a publish (`handover`): one per
 * ingest job while it waits, due `HANDOVER_CHECK_MS` after the latest
 * publish (a later one moves it on), so that one refused moments before
 * a real publish does not run too early to see that publish through.
 */
export function handoverCheckOptions(jobId: number): JobsOptions {
  return {
    delay: HANDOVER_CHECK_MS,
    deduplication: { id: `h${jobId}`, reschedule: true },
  };
}

/**
 * What a delivery schedule (INGEST_WEBHOOK_SCHEDULE and the like) makes
 * of a job's retries: one attempt, then one per entry, each retry
 * waiting its entry (scheduleDelay). A receiver that asks for a longer
 * wait (`askedMs`, from its Retry-After) gets it, but never longer than
 * the schedule's longest entry, nor past the time the whole schedule
 * would take from the job's start (`elapsedMs` ago): it can slow the
 * retries down, not speed them up or make them last longer in all.
 */
export function scheduledRetries(scheduleMs: number[]) {
  const longest = Math.max(0, ...scheduleMs);
  const span = scheduleMs.reduce((sum, ms) => sum + ms, 0);
  return {
    attempts: scheduleMs.length + 1,
    delay: (attemptsMade: number, askedMs = 0, elapsedMs = 0) =>
      Math.max(
        scheduleDelay(scheduleMs, attemptsMade),
        Math.min(askedMs, longest, span - elapsedMs),
      ),
  };
}

/**
 * The delay before retry `attemptsMade` (1-based) of a delivery: the
 * schedule's entry, then the last entry again if it runs out.
 */
export function scheduleDelay(scheduleMs: number[], attemptsMade: number) {
  const index = Math.min(attemptsMade - 1, scheduleMs.length - 1);
  return scheduleMs[Math.max(index, 0)] ?? 0;
}
