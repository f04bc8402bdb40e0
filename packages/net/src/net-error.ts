/**
 * Why an outbound exchange failed. Callers branch on these codes (the
 * gateway maps them to API errors, the notifier to retry decisions), so a
 * code keeps its meaning once released.
 */
export const NET_ERROR_CODES = [
  /** Not http/https, credentials in the URL, or not a URL at all. */
  'bad_url',
  /**
   * The same faults in a redirect's Location: the server's doing, not
   * the caller's, so the gateway answers it as a failed fetch.
   */
  'bad_redirect',
  /** The host is, or resolves to, an address the policy refuses. */
  'address_not_allowed',
  /** More redirects than `maxRedirects`. */
  'too_many_redirects',
  /** A redirect led back to a URL already visited. */
  'redirect_loop',
  /** The whole exchange did not finish within `timeoutMs`. */
  'timeout',
  /** The response body is larger than `maxBytes`. */
  'too_large',
  /** DNS, TCP or TLS failed, or the connection broke mid-response. */
  'connect_failed',
  /** Never thrown here: for callers that treat a status as a failure. */
  'http_error',
] as const;

export type NetErrorCode = (typeof NET_ERROR_CODES)[number];

/** A failed outbound exchange: a stable code and a message for people. */
export class NetError extends Error {
  readonly code: NetErrorCode;

  constructor(code: NetErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NetError';
    this.code = code;
  }
}
