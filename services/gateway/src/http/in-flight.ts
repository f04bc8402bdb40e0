import { setMaxListeners } from 'node:events';
import type http from 'node:http';
import { ApiError } from '@ingest/core';

/** What an endpoint needs to take part in a drain. */
export interface CallDrain {
  /**
   * Aborted, with a 503 `not_ready` ApiError as its reason, when the calls
   * still running at shutdown are cut short.
   */
  readonly signal: AbortSignal;
  /** Counts a call's work, its cleanup included, until it settles. */
  track(work: Promise<unknown>): void;
}

/**
 * Counts the calls a server is answering, so a draining gateway can keep
 * listening (and answer 503 to new calls) until the calls it took before,
 * uploads included, have finished; and cuts short, before the shutdown
 * deadline, those that would not finish in time.
 */
export class InFlight implements CallDrain {
  private responses = 0;
  private readonly work = new Set<Promise<unknown>>();
  private waiters: (() => void)[] = [];
  private readonly controller = new AbortController();
  private server?: http.Server;

  constructor() {
    // Every call in flight listens to the signal: no leak past 10.
    setMaxListeners(0, this.controller.signal);
  }

  /** Counts the requests of `server`, and may end its connections. */
  attach(server: http.Server): void {
    this.server = server;
    server.on('request', (_req, res: http.ServerResponse) => {
      this.responses++;
      res.once('close', () => {
        this.responses--;
        this.wakeIfIdle();
      });
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  // A response may close (its socket destroyed) before its handler has
  // released what it held: the handler's own work is counted as well.
  track(work: Promise<unknown>): void {
    this.work.add(work);
    const done = () => {
      this.work.delete(work);
      this.wakeIfIdle();
    };
    work.then(done, done);
  }

  /** True while no response is open and no handler runs. */
  get isIdle(): boolean {
    return this.responses === 0 && this.work.size === 0;
  }

  /** Resolves once no request is being answered. */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Waits for the calls in flight for `cutAfterMs`; then cuts short those
   * still running. Their handlers see `signal` abort (a URL fetch stops,
   * a multipart body is let go), run their cleanup and answer 503; after
   * `graceMs` the connections still open (a download streaming, a handler
   * deaf to the signal) are destroyed, and their handlers get `graceMs`
   * more. Resolves true when every call ended.
   */
  async drain(cutAfterMs: number, graceMs: number): Promise<boolean> {
    if (await this.idleWithin(cutAfterMs)) return true;
    this.controller.abort(
      new ApiError('not_ready', 'gateway is shutting down; retry the call'),
    );
    if (await this.idleWithin(graceMs)) return true;
    this.server?.closeAllConnections();
    return this.idleWithin(graceMs);
  }

  private async idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, ms, false);
    });
    const idle = this.idle().then(() => true);
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private wakeIfIdle() {
    if (!this.isIdle) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
