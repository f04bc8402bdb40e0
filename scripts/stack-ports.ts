import net from 'node:net';

/**
 * Refuses to start the stack on a port something else listens on. The
 * start waits for each service's /readyz on its port, and another
 * process answering there (another stack, say) would pass for ours: the
 * stack said it was running while its gateway failed to bind, again and
 * again, and calls went to the other process.
 */
export async function assertPortsFree(
  host: string,
  ports: Record<string, number>,
): Promise<void> {
  const taken: string[] = [];
  for (const [variable, port] of Object.entries(ports)) {
    if (!(await canListen(host, port))) taken.push(`${variable}=${port}`);
  }
  if (taken.length === 0) return;
  throw new Error(
    `port in use on ${host}: ${taken.join(', ')}; another process ` +
      'listens there. Stop it, or set the variable to a free port',
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
