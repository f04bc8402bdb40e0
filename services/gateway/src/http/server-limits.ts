import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { Config } from '@ingest/config';
import type { Logger } from '@ingest/telemetry';
import { SMALL_BODY_PACE, watchPace, type BodyPace } from './body-pace';

/**
 * A request's line and headers must arrive within this (Node's default
 * is 60 s): a client sends them in one go, so only a slow-headers
 * ("slowloris") client is cut, with 408 `request_timeout`.
 */
export const HEADERS_TIMEOUT_MS = 20_000;
/** Connections a gateway holds at most, whatever its open-file limit. */
export const MAX_CONNECTIONS = 10_000;
/** Descriptors kept for files, Redis, S3 and ffmpeg below that limit. */
export const DESCRIPTOR_RESERVE = 256;
/** The lowest cap picked from a small open-file limit. */
const MIN_CONNECTIONS = 64;
/** How often, at most, a cap reached is logged. */
const DROP_LOG_MS = 60_000;

export interface ServerLimits {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
  maxConnections: number;
  /** Connections one client holds at most (client-connection-cap.ts). */
  maxConnectionsPerClient: number;
  /**
   * How a JSON or form body (a multipart one outside its file part) must
   * arrive, and the rest of any body whose answer went before it ended
   * (SMALL_BODY_PACE, its deadline at most INGEST_FETCH_TIMEOUT).
   */
  smallBodyPace: BodyPace;
}

/**
 * The time and connection limits of the gateway's HTTP server. A body
 * gets INGEST_FETCH_TIMEOUT, enforced by the endpoints with a JSON
 * answer; Node's requestTimeout, 5 s later, is the backstop (its own
 * default, 5 minutes, would cut a large upload on a slow link). Node
 * looks for late requests every `connectionsCheckingInterval`.
 */
export function serverLimits(config: Config, openFiles = openFileLimit()): ServerLimits {
  const requestTimeout = config.fetchTimeoutMs + 5_000;
  const maxConnections = config.maxConnections ?? connectionCap(openFiles);
  return {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: Math.min(
      5_000,
      Math.max(250, config.fetchTimeoutMs / 4),
    ),
    maxConnections,
    maxConnectionsPerClient:
      config.maxConnectionsPerClient ?? Math.max(1, Math.floor(maxConnections / 4)),
    smallBodyPace: {
      ...SMALL_BODY_PACE,
      timeoutMs: Math.min(SMALL_BODY_PACE.timeoutMs, config.fetchTimeoutMs),
    },
  };
}

/**
 * MAX_CONNECTIONS, lowered to leave DESCRIPTOR_RESERVE of the process's
 * open-file limit: past that limit, sockets held open by slow clients
 * made every upload fail (EMFILE on its temp file).
 */
export function connectionCap(openFiles: number | undefined): number {
  if (openFiles === undefined) return MAX_CONNECTIONS;
  return Math.min(
    MAX_CONNECTIONS,
    Math.max(MIN_CONNECTIONS, openFiles - DESCRIPTOR_RESERVE),
  );
}

/** The soft open-file limit, where /proc tells it (Linux). */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * Applies `limits` to `server`, and logs a warning (at most once a
 * minute, with how many were dropped) while connections are dropped at
 * the cap. An answer may go before its request's body ended (a body
 * sent to /healthz, a refusal mid-body): Node then reads the rest
 * before the connection takes another request, for as long as the
 * client sends it.
 * The rest must come at `smallBodyPace`, or the connection is closed.
 */
export function applyServerLimits(
  server: http.Server,
  limits: ServerLimits,
  logger: Logger,
): void {
  server.headersTimeout = limits.headersTimeout;
  server.maxConnections = limits.maxConnections;
  let dropped = 0;
  let loggedAt = -Infinity;
  server.on('drop', () => {
    dropped++;
    if (Date.now() - loggedAt < DROP_LOG_MS) return;
    loggedAt = Date.now();
    logger.warn(
      { maxConnections: limits.maxConnections, dropped },
      `connection cap reached: ${limits.maxConnections} open; new ` +
        'connections are dropped (INGEST_MAX_CONNECTIONS)',
    );
    dropped = 0;
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('finish', () => {
      if (!req.complete) paceRest(req, limits.smallBodyPace);
    });
  });
}

/** Closes the connection of `req` once the rest of its body falls behind. */
function paceRest(req: http.IncomingMessage, pace: BodyPace): void {
  const { socket } = req;
  const watch = watchPace('the rest of the body', pace, () => socket.destroy());
  req.on('data', (chunk: Buffer) => watch.add(chunk.length));
  // A kept-alive socket outlives the request: its listener goes too.
  req.once('end', () => {
    watch.stop();
    socket.off('close', watch.stop);
  });
  socket.once('close', watch.stop);
}
