import net from 'node:net';
import { listenRefusal, type ListenPlace } from '@ingest/core';

/**
 * Refuses a start whose ports cannot be listened on, before the start
 * changes anything: a service started alone on a port in use had
 * marked a new store as its catalog's (the mark written, Redis
 * recording the store) before its own listen failed. Each place is
 * listened on and let go at once; port 0 (the system picks one) is not
 * checked. A port taken between this check and the service's listen is
 * still refused there.
 */
export async function checkPortsFree(
  places: readonly ListenPlace[],
): Promise<void> {
  for (const place of places) {
    if (place.port === 0) continue;
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', (err) => reject(listenRefusal(err, place)));
      probe.listen(place.port, place.host, resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
