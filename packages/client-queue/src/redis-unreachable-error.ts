/**
 * The Redis of the imports queue did not answer in time; nothing was
 * queued. `cause` is the last connection error seen, if any.
 */
export class RedisUnreachableError extends Error {
  /** `host:port` of the Redis, without credentials. */
  readonly address: string;

  constructor(address: string, timeoutMs: number, cause?: Error) {
    const reason = cause ? `: ${cause.message}` : '';
    super(
      `Redis at ${address} did not answer within ${timeoutMs} ms${reason}; ` +
        'nothing was queued',
      { cause },
    );
    this.name = 'RedisUnreachableError';
    this.address = address;
  }
}
