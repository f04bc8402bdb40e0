import type { Storage } from './storage';

/** The one logger call this needs, so the storage takes no logger package. */
interface WarnLogger {
  warn(fields: object, message: string): void;
}

/**
 * Asks the store once as a service starts and logs why it is not ready.
 * A store that does not answer stops no start (credentials or a role may
 * come later, and `/readyz` says 503 meanwhile), but whoever starts a
 * service with a wrong key pair, a missing bucket or no region reads it
 * in the start's own lines, not only by asking `/readyz`. Never throws.
 */
export async function warnIfStorageNotReady(
  storage: Storage,
  logger: WarnLogger,
): Promise<void> {
  try {
    const { ready, reason } = await storage.ready();
    if (!ready) {
      logger.warn(
        { reason },
        'storage not ready at start; /readyz answers 503 until it is',
      );
    }
  } catch (err) {
    logger.warn({ reason: (err as Error).message }, 'storage not ready at start');
  }
}
