import type { Server } from 'node:http';
import type { BlockList } from 'node:net';
import type { Logger } from '@ingest/telemetry';
import { addressGroup } from '../uploads/file-spool';
import { isTrusted } from './client-address';

/** How often, at most, a client over its cap is logged. */
const DROP_LOG_MS = 60_000;

/**
 * Drops a new connection of a client that already holds `perClient`, so
 * one client with no token cannot hold the whole INGEST_MAX_CONNECTIONS
 * (idle sockets cost it nothing, and each lasts the 20 s headers
 * timeout) and lock every other client out. A client is its peer
 * address, an IPv6 one by its /64, as the multipart spool counts them.
 * A trusted proxy (INGEST_TRUST_PROXY) brings many clients over its own
 * connections, so it is not capped here.
 */
export function capConnectionsPerClient(
  server: Server,
  perClient: number,
  logger: Logger,
  trusted?: BlockList,
): void {
  const held = new Map<string, number>();
  let loggedAt = -Infinity;

  server.on('connection', (socket) => {
    const peer = socket.remoteAddress ?? '';
    if (trusted && isTrusted(trusted, peer)) return;

    const client = addressGroup(peer);
    const count = held.get(client) ?? 0;
    if (count >= perClient) {
      socket.destroy();
      if (Date.now() - loggedAt < DROP_LOG_MS) return;
      loggedAt = Date.now();
      logger.warn(
        { perClient },
        'client connection cap reached: new connections of one client are ' +
          'dropped (INGEST_MAX_CONNECTIONS_PER_CLIENT)',
      );
      return;
    }

    held.set(client, count + 1);
    socket.once('close', () => {
      const left = (held.get(client) ?? 1) - 1;
      if (left > 0) held.set(client, left);
      else held.delete(client);
    });
  });
}
