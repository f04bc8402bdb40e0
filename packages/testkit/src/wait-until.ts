export interface WaitOptions {
  /** How long to keep asking, in ms; default 60 000. */
  timeoutMs?: number;
  /** The pause between two asks, in ms; default 100. */
  intervalMs?: number;
  /**
   * The error's text when time runs out; a function is called then, so
   * the text can tell the last state seen. Default 'condition never held'.
   */
  message?: string | (() => string);
}

type Answer<T> = T | undefined | null | false;

/**
 * Asks `check` until it answers something truthy and returns that. An
 * error `check` throws ends the wait at once: a check can fail fast when
 * what it waits for can no longer happen (a process exited). A check
 * that never settles (a request to a port that takes the connection and
 * never answers) still ends the wait at the deadline.
 */
export async function waitUntil<T>(
  check: () => Answer<T> | Promise<Answer<T>>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100 } = options;
  const { message = 'condition never held' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await withDeadline(check(), {
      timeoutMs: Math.max(0, deadline - Date.now()),
      message,
    });
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(typeof message === 'function' ? message() : message);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * `work`, or an error with `message` once `timeoutMs` have passed
 * (`onTimeout` runs first, e.g. to kill what would not end).
 */
export async function withDeadline<T>(
  work: T | Promise<T>,
  options: {
    timeoutMs: number;
    message: string | (() => string);
    onTimeout?: () => void;
  },
): Promise<T> {
  const { timeoutMs, message, onTimeout } = options;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(typeof message === 'function' ? message() : message));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
