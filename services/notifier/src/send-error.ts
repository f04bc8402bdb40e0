/** The parts of a nodemailer error the notifier reads; all optional. */
interface SendError {
  responseCode?: unknown;
  code?: unknown;
  /** The system or TLS code under nodemailer's own (`CERT_HAS_EXPIRED`). */
  originalCode?: unknown;
  name?: unknown;
}

/**
 * A failed send for the delivery log: the SMTP reply code, or the error
 * code with the one beneath it when there is one (`ESOCKET
 * (CERT_HAS_EXPIRED)`: a TLS setting to fix, not a server that is down).
 * Never the message, which may quote the address.
 */
export function describeSendError(err: unknown): string {
  const e = (err ?? {}) as SendError;
  if (typeof e.responseCode === 'number') return `smtp ${e.responseCode}`;
  if (typeof e.code === 'string' && e.code) {
    const under = e.originalCode;
    const shown = typeof under === 'string' && /^[A-Z0-9_]+$/.test(under);
    return shown && under !== e.code ? `${e.code} (${under})` : e.code;
  }
  return typeof e.name === 'string' ? e.name : 'send_failed';
}

/**
 * The server refused this recipient or this message with a permanent
 * (5xx) reply: sending it again would be refused again. A 5xx elsewhere
 * is the operator's setting and may be fixed before the next try: to
 * the login, to MAIL FROM (the operator's own From address), or a 530
 * at any step (the server wants a login SMTP_URL lacks); so may a 4xx
 * or a broken connection.
 */
export function refusedForGood(err: unknown): boolean {
  const { responseCode, code, command } = (err ?? {}) as {
    responseCode?: unknown;
    code?: unknown;
    command?: unknown;
  };
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    responseCode !== 530 &&
    (code === 'EENVELOPE' || code === 'EMESSAGE') &&
    (command === 'RCPT TO' || command === 'DATA')
  );
}
