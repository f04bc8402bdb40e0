/**
 * Test support, not exported from the package: HTTP servers on loopback
 * that count what reaches them, and a tripwire that stops any socket from
 * dialling an IP other than loopback, so a bug in the address rule can
 * never send test traffic elsewhere.
 */
import http from 'node:http';
import net from 'node:net';

export interface LoopbackServer {
  /** `http://host:port` with IPv6 hosts bracketed. */
  origin: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

export async function startServer(
  handler: http.RequestListener,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<LoopbackServer> {
  const server = http.createServer();
  const state = { connections: 0, requests: 0 };
  server.on('connection', () => {
    state.connections += 1;
  });
  server.on('request', (req, res) => {
    state.requests += 1;
    handler(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    origin: `http://${shownHost}:${port}`,
    port,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1', 'localhost']);

export interface Tripwire {
  /** Hosts a socket tried to dial that were not loopback. */
  readonly tripped: string[];
  remove(): void;
}

/**
 * Wraps `net.Socket.prototype.connect`, which every http(s) client socket
 * goes through, and throws before dialling anything but loopback. Names
 * other than localhost pass here: the tests resolve them only to loopback.
 */
export function installTripwire(): Tripwire {
  const original = net.Socket.prototype.connect;
  const tripped: string[] = [];

  const guarded = function (
    this: net.Socket,
    ...args: unknown[]
  ): net.Socket {
    const host = connectHost(args);
    if (host !== undefined && net.isIP(host) && !LOOPBACK.has(host)) {
      tripped.push(host);
      throw new Error(`tripwire: test tried to dial ${host}`);
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = guarded as typeof original;

  return {
    tripped,
    remove() {
      net.Socket.prototype.connect = original;
    },
  };
}

function connectHost(args: unknown[]): string | undefined {
  const [first, second] = args;
  // net.createConnection passes its arguments on already normalized.
  if (Array.isArray(first)) return connectHost(first);
  if (typeof first === 'object' && first !== null) {
    const host = (first as { host?: unknown }).host;
    return typeof host === 'string' ? host : undefined;
  }
  return typeof second === 'string' ? second : undefined;
}
