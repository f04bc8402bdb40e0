import net from 'node:net';
import { ScriptRefusal } from './script-refusal';

/** Ports another process listens on, named as `VARIABLE=port`. */
export class PortsInUse extends ScriptRefusal {
  override name = 'PortsInUse';
  constructor(
    readonly host: string,
    readonly taken: string[],
  ) {
    super(
      `port in use on ${host}: ${taken.join(', ')}; another process ` +
        'listens there. Stop it, or set the variable to a free port',
    );
  }
}

/**
 * Refuses to start the stack on a port something else listens on. The
 * start waits for each service's /readyz on its port, and another
 * process answering there (another stack, say) would pass for ours: the
 * stack said it was running while its gateway failed to bind, again and
 * again, and calls went to the other process. Two of our own services
 * given one port are the same case: the first to bind answers the
 * other's /readyz, so the same port twice is refused as well.
 */
export async function assertPortsFree(
  host: string,
  ports: Record<string, number>,
): Promise<void> {
  assertPortsDistinct(ports);
  const taken: string[] = [];
  for (const [variable, port] of Object.entries(ports)) {
    const free = await canListen(host, port).catch((err: Error) => {
      // EACCES (a port below 1024), a HOST this machine does not have…
      throw new ScriptRefusal(
        `cannot listen on ${host} port ${port} (${variable}): ${err.message}`,
      );
    });
    if (!free) taken.push(`${variable}=${port}`);
  }
  if (taken.length === 0) return;
  throw new PortsInUse(host, taken);
}

function assertPortsDistinct(ports: Record<string, number>): void {
  const byPort = new Map<number, string[]>();
  for (const [variable, port] of Object.entries(ports)) {
    byPort.set(port, [...(byPort.get(port) ?? []), variable]);
  }
  const shared = [...byPort].filter(([, names]) => names.length > 1);
  if (shared.length === 0) return;
  const said = shared.map(([port, names]) => `${names.join(' and ')} are both ${port}`);
  throw new ScriptRefusal(
    `${said.join('; ')}: each service needs a port of its own; ` +
      'set the variables to different free ports',
  );
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => {
      probe.close(() => resolve(true));
    });
  });
}
