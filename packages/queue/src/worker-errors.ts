import { ConnectionClosedError, ErrorCode, type Worker } from 'bullmq';
import type { RedisFullWatch } from './redis-full-watch';

/** Where a worker's own faults go. */
export interface WorkerLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Socket codes of a connection that failed, not of a command. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * ioredis rejects commands on a dropped connection with plain errors that
 * carry no code, only these messages (ioredis/built/utils, errors/).
 */
const CONNECTION_MESSAGES = [
  'Connection is closed.',
  'Reached the max retries per request limit',
];

/**
 * True when `err` says Redis could not be reached or the connection
 * broke, false for an error Redis or a processor raised (a Lua script's
 * error, a bug). Looks into `errors` (AggregateError of a connect that
 * tried several addresses) and `cause`.
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  if (err instanceof ConnectionClosedError) return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && CONNECTION_CODES.has(code)) return true;
  if (CONNECTION_MESSAGES.some((text) => err.message.startsWith(text))) {
    return true;
  }
  const inner = err instanceof AggregateError ? err.errors : [];
  return [...inner, err.cause].some((e) => isConnectionError(e, depth + 1));
}

/**
 * BullMQ's codes for a job finished by a worker that no longer held its
 * lock: the lock lapsed (a Redis pause or a blocked process longer than
 * the lock), and the stalled check gave the job back or another worker
 * took it.
 */
const LOCK_LOST_CODES = new Set<unknown>([
  ErrorCode.JobLockNotExist,
  ErrorCode.JobLockMismatch,
  ErrorCode.JobNotInState,
]);

/** True when `err` is BullMQ refusing a finish for a lost lock. */
export function isLockLost(err: unknown): boolean {
  return err instanceof Error && LOCK_LOST_CODES.has((err as { code?: unknown }).code);
}

/** How long a job's lost lock is not told again, ms. */
const LOCK_LOST_QUIET_MS = 60_000;

/**
 * Logs a worker's `error` events. BullMQ emits one for every failed
 * reconnect of each of its connections (its blocking connection is its
 * own); the service's RedisOutage already tells an outage once, so those
 * go to debug. A full Redis is told once by `full`, across the
 * service's workers. Anything else (a Lua error) is an error,
 * with its stack. A lost lock is one warning per job, without a stack:
 * it is what a long Redis pause leaves, and says so.
 */
export function logWorkerErrors(
  worker: Worker,
  logger: WorkerLogger,
  full: RedisFullWatch,
) {
  // A run whose lock lapsed (its worker was killed, OOM, or blocked past
  // the lock) is taken back and runs again with the same attempt number:
  // without this line the second `started` line would be all that shows.
  worker.on('stalled', (jobId) => {
    logger.warn({ queue: worker.name, bullJobId: jobId }, 'job stalled; taken back');
  });
  // Told once per job: BullMQ tries each renewal and each step of a
  // run's end (complete, fail, retry) again, and emits an error each time.
  const told = new Map<string, number>();
  const firstTime = (key: string) => {
    const now = Date.now();
    for (const [seen, at] of told) {
      if (now - at >= LOCK_LOST_QUIET_MS) told.delete(seen);
    }
    if (told.has(key)) return false;
    told.set(key, now);
    return true;
  };
  // BullMQ emits an error `could not renew lock for job <id>` for each
  // job of this event, right after it: told here, by job, instead.
  const notRenewed = new Set<string>();
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) {
      notRenewed.add(`could not renew lock for job ${jobId}`);
      if (!firstTime(`renew ${jobId}`)) continue;
      logger.warn(
        { queue: worker.name, bullJobId: jobId },
        'job lock not renewed; the job may be taken back and run again',
      );
    }
  });
  worker.on('error', (err) => {
    const fields = { queue: worker.name, err };
    if (notRenewed.delete(err.message)) return;
    if (isLockLost(err)) {
      // `Missing lock for job <id>. <command>`: one line whatever the step.
      if (!firstTime(err.message.split('. ')[0])) return;
      logger.warn(
        { queue: worker.name, err: err.message },
        "job lock lost; this run's end is not recorded and the job runs again",
      );
    } else if (isConnectionError(err)) {
      logger.debug({ ...fields, err: err.message }, 'worker reconnecting');
    } else if (!full.refused(err, { queue: worker.name })) {
      logger.error(fields, 'worker error');
    }
  });
}
