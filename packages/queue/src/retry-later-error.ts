/**
 * A failed delivery whose receiver said when to come back (an HTTP
 * `Retry-After`). The worker of a scheduled queue waits that long before
 * the next attempt instead of the schedule's entry when it is longer;
 * see scheduledRetries for the bounds.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    /** How long the receiver asked to wait, in ms. */
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}
