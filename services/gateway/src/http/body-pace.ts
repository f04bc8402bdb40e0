import { ApiError } from '@ingest/core';

/** How a body must keep arriving, or be cut with 408 `request_timeout`. */
export interface BodyPace {
  /** The whole body's deadline, in ms. */
  timeoutMs: number;
  /** It must bring `minBytes` in every `windowMs` (ms) until it ends. */
  windowMs: number;
  minBytes: number;
}

/** 16 KiB in every 30 s: about 0.5 KiB/s, a sender that stalls or trickles. */
export const PACE_WINDOW_MS = 30_000;
export const PACE_MIN_BYTES = 16 * 1024;

/**
 * A JSON or form body (1 MiB at most), or a multipart one outside its
 * file part (the parts before and after it together): 2 min in all, at
 * the pace above.
 * Its sender is not known until it has all come, so it is not given
 * INGEST_FETCH_TIMEOUT as a file is: a trickled one would hold its
 * connection for minutes. An honest 1 MiB body needs about 9 KiB/s (a
 * slow mobile uplink); a call of a few KB comes in one go.
 */
export const SMALL_BODY_PACE: BodyPace = {
  timeoutMs: 120_000,
  windowMs: PACE_WINDOW_MS,
  minBytes: PACE_MIN_BYTES,
};

export interface PaceWatch {
  /** Counts bytes that arrived. */
  add(bytes: number): void;
  /**
   * Stops the clock while a part held to its own limits (a multipart
   * file) arrives: the deadline then covers the rest in total.
   */
  pause(): void;
  /** Starts the clock again, with what is left of the deadline. */
  resume(): void;
  /** Idempotent; call once the body ended or failed. */
  stop(): void;
}

/**
 * Watches `what` (`the file`, `the request body`) arrive: `onLate` is
 * told, with a 408, once it passes `pace.timeoutMs` (the time it was
 * paused aside) or a window brings fewer than `pace.minBytes`; the watch
 * then stops.
 */
export function watchPace(
  what: string,
  pace: BodyPace,
  onLate: (err: ApiError) => void,
): PaceWatch {
  const { timeoutMs, windowMs, minBytes } = pace;
  let bytes = 0;
  let spentMs = 0;
  let since = 0;
  let deadline: NodeJS.Timeout | undefined;
  let windows: NodeJS.Timeout | undefined;
  let stopped = false;
  const late = (message: string) => {
    stop();
    onLate(new ApiError('request_timeout', message));
  };
  function run() {
    if (stopped || deadline) return;
    since = Date.now();
    bytes = 0;
    deadline = setTimeout(
      () => late(`${what} did not arrive within ${Math.round(timeoutMs / 1000)} s`),
      Math.max(0, timeoutMs - spentMs),
    );
    windows = setInterval(() => {
      if (bytes < minBytes) {
        late(
          `${what} came too slowly: under ${Math.round(minBytes / 1024)} KiB ` +
            `in ${Math.round(windowMs / 1000)} s`,
        );
      }
      bytes = 0;
    }, windowMs);
  }
  function pause() {
    if (!deadline) return;
    spentMs += Date.now() - since;
    clearTimeout(deadline);
    clearInterval(windows);
    deadline = undefined;
  }
  function stop() {
    pause();
    stopped = true;
  }
  run();
  return {
    add(n) {
      bytes += n;
    },
    pause,
    resume: run,
    stop,
  };
}
