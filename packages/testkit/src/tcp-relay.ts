import net from 'node:net';

/**
 * What a relay does with bytes: `pass` them on, or `hang`: connections
 * are accepted and what they send is dropped, so they are never
 * answered (a stalled server, a black-holed route); or `mute`: what
 * clients send is passed on, the server's answers are dropped (a link
 * lost after a request went out, before its answer came back).
 */
export type RelayMode = 'pass' | 'hang' | 'mute';

export interface TcpRelay {
  /** `127.0.0.1:<port>` of the relay. */
  port: number;
  mode: RelayMode;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Told each chunk a client sends before it is passed on, so a test
   * can act at one request (stop the server it goes to). None: not told.
   */
  onClientData?: (chunk: Buffer) => void;
  /** Ends every open connection; new ones are still accepted. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay on loopback in front of `targetPort` (on 127.0.0.1) whose
 * mode can be switched at any time; a switch applies to connections
 * already open too.
 */
export async function tcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const relay: TcpRelay = {
    port: 0,
    mode: 'pass',
    get accepted() {
      return accepted;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const server = net.createServer((client) => {
    accepted++;
    track(client);
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(upstream);
    const forward = (from: net.Socket, to: net.Socket) => {
      const passes = () =>
        relay.mode === 'pass' || (relay.mode === 'mute' && from === client);
      from.on('data', (chunk: Buffer) => {
        if (from === client) relay.onClientData?.(chunk);
        if (passes()) to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.address() as net.AddressInfo).port;
  return relay;
}
