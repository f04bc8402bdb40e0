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
 * what it waits for can no longer happen (a process exited).
 */
export async function waitUntil<T>(
  check: () => Answer<T> | Promise<Answer<T>>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const { message = 'condition never held' } = options;
      throw new Error(typeof message === 'function' ? message() : message);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
