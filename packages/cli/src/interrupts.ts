import type { TempFiles } from './temp-files';
import { EXIT } from './exit-codes';

/**
 * Ctrl-C aborts the command: the transfer under way stops, its temp file
 * is removed, and the command reports what it had done. A second Ctrl-C
 * ends the process at once, removing the temp files first.
 *
 * One listener serves both. With a `once` listener per Ctrl-C, Node
 * restores the default action while the first runs the abort (every
 * abort listener, synchronously), and a second Ctrl-C in that time
 * killed the process and left its temp files.
 */
export function abortOnInterrupt(tempFiles: TempFiles): AbortSignal {
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (!interrupt.signal.aborted) {
      interrupt.abort();
      return;
    }
    tempFiles.removeAllSync();
    process.exit(EXIT.interrupted);
  });
  return interrupt.signal;
}
