/**
 * The gateway could not be reached, or the connection broke before an
 * answer, after every retry the call was allowed. `cause` is fetch's error.
 */
export class IngestNetworkError extends Error {
  readonly endpoint: string;

  constructor(endpoint: string, cause: unknown) {
    const reason = describeCause(cause);
    super(`${endpoint}: ${reason}`, { cause });
    this.name = 'IngestNetworkError';
    this.endpoint = endpoint;
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici puts the socket error (ECONNREFUSED…) one level down.
  const inner = cause.cause;
  if (inner instanceof Error) return `${cause.message}: ${inner.message}`;
  return cause.message;
}
