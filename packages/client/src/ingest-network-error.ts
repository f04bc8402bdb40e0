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

/**
 * OpenSSL's code when what came back was not a TLS record: typically an
 * `https://` URL pointed at a plain-HTTP gateway. Its own text ("wrong
 * version number") gives a first user no hint of that.
 */
const NOT_TLS = 'ERR_SSL_WRONG_VERSION_NUMBER';

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici puts the socket error (ECONNREFUSED…) one level down.
  const inner = cause.cause;
  if (!(inner instanceof Error)) return cause.message;
  if ((inner as NodeJS.ErrnoException).code === NOT_TLS) {
    return (
      'the server did not speak TLS; if it serves plain HTTP, ' +
      `use an http:// URL in place of https:// (${NOT_TLS})`
    );
  }
  return `${cause.message}: ${inner.message}`;
}
