import { randomInt } from 'node:crypto';
import net from 'node:net';

/**
 * Ports are drawn from below Linux's ephemeral range (32768–60999 by
 * default). A port the kernel hands out for `listen(0)` or as the local
 * end of an outgoing connection is from that range, so between our check
 * and the service's own listen, nothing else on the machine takes ours
 * by chance; only another caller drawing the same number could.
 */
const FIRST = 20_000;
const LAST = 32_767;
const TRIES = 200;

/** Ports this process has handed out, never handed out twice. */
const given = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 for a service about to start, outside the
 * range the kernel picks from on its own (see above).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < TRIES; i++) {
    const port = randomInt(FIRST, LAST + 1);
    if (given.has(port)) continue;
    if (await canListen(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${FIRST}-${LAST} after ${TRIES} tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
