import type http from 'node:http';

/**
 * Counts the requests a server is answering, so a draining gateway can
 * keep listening (and answer 503 to new calls) until the calls it took
 * before, uploads included, have finished.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  constructor(server: http.Server) {
    server.on('request', (_req, res: http.ServerResponse) => {
      this.count++;
      res.once('close', () => {
        this.count--;
        if (this.count === 0) this.wake();
      });
    });
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once no request is being answered. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
