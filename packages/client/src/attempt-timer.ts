/** How long one attempt of a call may wait, ms. */
export interface AttemptTimeouts {
  /**
   * For the answer: its headers and, for a JSON call, its body. Counted
   * from the start, or from the last byte sent when the body is streamed
   * under `idleMs`.
   */
  answerMs: number;
  /** While a request body streams: the longest stretch with no byte sent. */
  idleMs?: number;
}

/** An attempt got no answer, or moved no bytes, within its limit. */
export class RequestTimeoutError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, what: string) {
    super(`${what} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The clock of one attempt: aborts `signal` with a RequestTimeoutError
 * when the current limit passes. A streamed body restarts it with each
 * chunk sent (`moved`), then hands over to the answer limit (`sent`).
 */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  private limitMs = 0;
  private what = '';
  private stopped = false;

  constructor(private readonly timeouts: AttemptTimeouts) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the clock; `streamed` when the body reports its progress. */
  start(streamed: boolean): void {
    if (streamed && this.timeouts.idleMs !== undefined) {
      this.arm(this.timeouts.idleMs, 'no bytes sent');
    } else {
      this.arm(this.timeouts.answerMs, 'no answer');
    }
  }

  /** Bytes went out: the idle limit starts again. */
  moved(): void {
    if (this.what === 'no bytes sent') this.arm(this.limitMs, this.what);
  }

  /** The whole body went out: the answer limit starts. */
  sent(): void {
    if (this.what === 'no bytes sent') {
      this.arm(this.timeouts.answerMs, 'no answer');
    }
  }

  /** For good: a body still read after the attempt ended restarts nothing. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(limitMs: number, what: string): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.limitMs = limitMs;
    this.what = what;
    this.timer = setTimeout(() => {
      this.controller.abort(new RequestTimeoutError(limitMs, what));
    }, limitMs);
  }
}

/**
 * `body` with a limit on each read the consumer waits for: a read that
 * gets no bytes within `idleMs` errors the stream (as `wrap` says) and
 * drops the connection. A consumer that reads slowly is not timed. A
 * connection that breaks midway is wrapped too (fetch's bare `TypeError:
 * terminated` says nothing of a network); an abort stays an AbortError.
 */
export function idleBounded(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  wrap: (cause: unknown) => Error,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let stalled: Error | undefined;
      const timer = setTimeout(() => {
        stalled = wrap(new RequestTimeoutError(idleMs, 'no bytes received'));
        reader.cancel(stalled).catch(() => undefined);
      }, idleMs);
      try {
        const chunk = await reader.read();
        if (stalled) controller.error(stalled);
        else if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch (err) {
        const aborted = err instanceof Error && err.name === 'AbortError';
        controller.error(stalled ?? (aborted ? err : wrap(err)));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
