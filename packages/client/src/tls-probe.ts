import net from 'node:net';
import tls from 'node:tls';

/** How long the probe waits for a server's TLS answer. */
const PROBE_MS = 5_000;

/**
 * What an `http://` call is told when the server turns out to speak TLS.
 */
export const SPEAKS_TLS =
  'the server speaks TLS (HTTPS) and closed the plain-HTTP request unanswered; ' +
  'use an https:// URL in place of http://';

/**
 * Whether `err`, fetch's failure, is a connection closed (or reset)
 * before any answer: what a TLS server does with a plain-HTTP request
 * (Node's HTTPS server closes it without a word), but also any server
 * that drops a connection, so it alone tells nothing.
 */
export function closedUnanswered(err: unknown): boolean {
  const inner = err instanceof Error ? err.cause : undefined;
  const code = (inner as NodeJS.ErrnoException | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/**
 * Whether the server at `url` completes a TLS handshake: it is then an
 * HTTPS server, and an `http://` URL was the mistake. Nothing is sent
 * but the handshake, and its certificate is not checked (nothing is
 * sent over it). False when it cannot be told (a refusal, no answer
 * within PROBE_MS, `signal` aborted).
 */
export function speaksTls(url: URL, signal?: AbortSignal): Promise<boolean> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 80),
      // SNI names a host, never an address.
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    const done = (speaks: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      socket.destroy();
      resolve(speaks);
    };
    const abort = () => done(false);
    const timer = setTimeout(abort, PROBE_MS);
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => done(true));
    socket.once('error', abort);
    socket.once('close', abort);
  });
}
