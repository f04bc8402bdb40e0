import { ConnectionClosedError, type Worker } from 'bullmq';
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
 * Logs a worker's `error` events. BullMQ emits one for every failed
 * reconnect of each of its connections (its blocking connection is its
 * own); the service's RedisOutage already tells an outage once, so those
 * go to debug. A full Redis is told once by `full`, across the
 * service's workers. Anything else (a Lua error, a lost lock) is an
 * error.
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
  worker.on('error', (err) => {
    const fields = { queue: worker.name, err };
    if (isConnectionError(err)) {
      logger.debug({ ...fields, err: err.message }, 'worker reconnecting');
    } else if (!full.refused(err, { queue: worker.name })) {
      logger.error(fields, 'worker error');
    }
  });
}
