/**
 * One clock and one abort path for a whole exchange, across every redirect
 * hop and the body: `timeoutMs` bounds what the caller waits, not each
 * step, so a slow chain of redirects or a trickling body cannot add up.
 */
export interface ExchangeDeadline {
  /** Aborts with the timeout error or with the caller's abort reason. */
  readonly signal: AbortSignal;
  /** Stops the clock; call once the exchange is over, however it ended. */
  dispose(): void;
}

/**
 * `timeoutError` is called when the clock runs out, so the message can say
 * which step was still going.
 */
export function startDeadline(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  timeoutError: () => Error,
): ExchangeDeadline {
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(outer?.reason);

  const timer = setTimeout(() => controller.abort(timeoutError()), timeoutMs);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}
