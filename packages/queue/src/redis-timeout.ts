/**
 * How long a gateway call waits for one Redis reply (ioredis
 * `commandTimeout` on the gateway's command connection). Longer than
 * the outage watch's 5 s, so a busy Redis's pause (a fork for a
 * snapshot, a slow script) fails no call; short enough that a Redis
 * that stopped answering with its connections open (a stopped process,
 * a hung host) gets the client a prompt 503 rather than a call held
 * until Redis is back.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 10_000;

/** What a caller is told then: 503 `not_ready`, to retry. */
export const REDIS_TIMEOUT_ANSWER =
  `Redis did not answer within ${REDIS_COMMAND_TIMEOUT_MS / 1000} s; ` +
  'retry the call';

/**
 * True when `err` is ioredis giving up on a reply past `commandTimeout`.
 * The command may still run once Redis answers again: what it wrote is
 * unknown to the caller.
 */
export function isRedisTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

/**
 * True when `err` is a Redis timeout, or a refusal made of one: a call
 * that stored its work and then met the timeout (a PartlyDoneError
 * whose `cause` it is). Either way what the call sent last may still
 * run, behind it on the same connection.
 */
export function metRedisTimeout(err: unknown): boolean {
  if (isRedisTimeout(err)) return true;
  return err instanceof Error && isRedisTimeout(err.cause);
}
