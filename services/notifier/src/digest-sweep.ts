import type { Logger } from '@ingest/telemetry';
import type { ContactNotices } from './contact-notices';

/**
 * How often a notifier looks for digests whose email job is gone: a
 * twelfth of the contact window (5 minutes of an hour), so held
 * give-ups are told about a window after they were held, at most 5
 * minutes late, even when their digest's job was lost.
 */
export function sweepEveryMs(windowMs: number): number {
  return Math.min(5 * 60_000, Math.max(250, Math.round(windowMs / 12)));
}

/**
 * Runs ContactNotices.sweep on a timer in each notifier: any number may
 * sweep at once, as a sweep makes again only jobs that are gone, under
 * their one id.
 */
export class DigestSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly notices: ContactNotices,
    private readonly logger: Logger,
    readonly everyMs = sweepEveryMs(notices.windowMs),
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.once().finally(() => {
        this.running = undefined;
      });
    }, this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep still running. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async once(): Promise<void> {
    try {
      const looked = await this.notices.sweep();
      if (looked > 0) this.logger.debug({ digests: looked }, 'digests swept');
    } catch (err) {
      // The next sweep tries again; a digest stays noted until it is sent.
      this.logger.warn({ err: (err as Error).message }, 'digest sweep failed');
    }
  }
}
