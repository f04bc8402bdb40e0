/**
 * The store could not be reached or would not serve us: a network
 * error, no answer in time, a 5xx, or refused credentials or bucket.
 * Not the object's fault: the same call may work once the store is
 * back, so the work that needed it waits rather than failing for good.
 * The message says what failed in words an operator can act on.
 */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** True when `err`, or an error it wraps, is a StorageUnavailableError. */
export function isStorageUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  if (err instanceof StorageUnavailableError) return true;
  return isStorageUnavailable(err.cause, depth + 1);
}

/**
 * True when `err`, or an error it wraps, is a write refused for want of
 * room (ENOSPC, EDQUOT): a full disk, which frees up when an operator
 * acts, not when the same work is tried again at once.
 */
export function isOutOfSpace(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return isOutOfSpace(err.cause, depth + 1);
}

/**
 * The object an OpenObject was opened on went away (deleted, or
 * replaced by other bytes) before its bytes were read: a store that
 * reads them in a later request (S3) cannot serve that version any
 * more. The caller may look the key up again and open what is there now.
 */
export class ObjectGoneError extends Error {
  constructor(readonly key: string, options?: ErrorOptions) {
    super(`storage: ${key} changed or went away after it was opened`, options);
    this.name = 'ObjectGoneError';
  }
}
