/**
 * The gateway could not be reached, or the connection broke before an
 * answer, after every retry the call was allowed. `cause` is fetch's error.
 */
export class IngestNetworkError extends Error {
  readonly endpoint: string;

  /**
   * `reason`, when given, says what went wrong in place of `cause`'s
   * own text (a server found to speak TLS where http:// was given).
   */
  constructor(endpoint: string, cause: unknown, reason = describeCause(cause)) {
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

/**
 * Whether fetch's failure `cause` is a server that answered an https://
 * call without TLS (OpenSSL's code tells; Node 20 gives no other for
 * it). One that closes the handshake unanswered gives a bare
 * ECONNRESET, as a TLS server that drops it would: not told apart.
 */
export function answeredWithoutTls(cause: unknown): boolean {
  const inner = cause instanceof Error ? cause.cause : undefined;
  return (inner as NodeJS.ErrnoException | undefined)?.code === NOT_TLS;
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici puts the socket error (ECONNREFUSED…) one level down.
  const inner = cause.cause;
  if (!(inner instanceof Error)) return cause.message;
  if (answeredWithoutTls(cause)) {
    return (
      'the server did not speak TLS; if it serves plain HTTP, ' +
      `use an http:// URL in place of https:// (${NOT_TLS})`
    );
  }
  return `${cause.message}: ${inner.message}`;
}
