import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

/**
 * Kills `child` with the bench when the bench gets SIGTERM or SIGINT:
 * the transcoders and plain ffmpegs the bench starts itself are no
 * TestStack's, so its own signal handler does not know them, and they
 * would run on with nobody to stop them.
 */
export function ownChild<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    if (!process.listeners(signal).includes(onSignal)) {
      process.once(signal, onSignal);
    }
  }
  return child;
}

function onSignal(signal: NodeJS.Signals) {
  for (const child of children) child.kill('SIGKILL');
  // Ends the bench as the signal would have, unless another handler
  // (TestStack's) is still to run and does it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
