/**
 * What keeps `npm start`'s processes running: one that exits on its own
 * (a crash, the OOM killer, a SIGTERM sent to it directly) is started
 * again after a backoff, as a container runtime would.
 */

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running process as the supervisor sees it. */
export interface Supervised {
  pid?: number;
  /** Resolves once the process has ended. */
  exited: Promise<ProcessExit>;
}

export interface BackoffOptions {
  /** Wait before the first restart, in ms. Default 1 s. */
  firstMs?: number;
  /** The longest wait, in ms; each restart doubles it up to this. Default 30 s. */
  maxMs?: number;
  /** A process that ran this long (ms) is back to the first wait. Default 60 s. */
  resetAfterMs?: number;
}

/** Waits before restarts: 1 s, doubling to 30 s, reset by a 60 s run. */
export class RestartBackoff {
  private readonly firstMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private nextMs: number;

  constructor(options: BackoffOptions = {}) {
    this.firstMs = options.firstMs ?? 1_000;
    this.maxMs = options.maxMs ?? 30_000;
    this.resetAfterMs = options.resetAfterMs ?? 60_000;
    this.nextMs = this.firstMs;
  }

  /** The wait before restarting a process that ran for `ranMs`. */
  delayAfter(ranMs: number): number {
    if (ranMs >= this.resetAfterMs) this.nextMs = this.firstMs;
    const delayMs = this.nextMs;
    this.nextMs = Math.min(delayMs * 2, this.maxMs);
    return delayMs;
  }
}

/** `signal SIGKILL`, `code 1`: how a process ended, for people. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/**
 * Restarts the processes it is given whenever they end, until `stop`.
 * `launch` starts a fresh one; it should register it wherever the stack
 * keeps its processes, so that a stop reaches the new one.
 */
export class Supervisor {
  private stopped = false;
  private readonly launching = new Set<Promise<unknown>>();
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly say: (line: string) => void,
    private readonly backoff: BackoffOptions = {},
  ) {}

  /** Follows `first`; `launch` makes each of its successors. */
  keep(
    name: string,
    first: Supervised,
    launch: () => Promise<Supervised>,
  ): void {
    void this.follow(name, first, launch);
  }

  /**
   * No more restarts. Resolves once a launch in progress is over, so the
   * caller stops what it made rather than leaving it running.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await Promise.allSettled([...this.launching]);
  }

  private async follow(
    name: string,
    first: Supervised,
    launch: () => Promise<Supervised>,
  ) {
    const backoff = new RestartBackoff(this.backoff);
    let current: Supervised | undefined = first;
    let startedAt = Date.now();
    let why = '';
    for (;;) {
      if (current) why = `exited (${describeExit(await current.exited)})`;
      if (this.stopped) return;
      // A launch that failed counts as a run that ended at once.
      const delayMs = backoff.delayAfter(Date.now() - startedAt);
      this.say(`${name} ${why}; restarting in ${delayMs / 1000} s`);
      await this.pause(delayMs);
      if (this.stopped) return;

      startedAt = Date.now();
      try {
        current = await this.track(launch());
        this.say(`${name} restarted (pid ${current.pid})`);
      } catch (err) {
        current = undefined;
        why = `could not start (${(err as Error).message})`;
      }
    }
  }

  private track<T>(launch: Promise<T>): Promise<T> {
    this.launching.add(launch);
    const forget = () => this.launching.delete(launch);
    launch.then(forget, forget);
    return launch;
  }

  /** Waits `ms`, or less when `stop` is called. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
