import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SiteReservations } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import { UploadFault } from './rendition-maker';
import type { ProcessorDeps } from './transcode-processor';

export interface BudgetDeps {
  reservations: SiteReservations;
  siteId: number;
  /** INGEST_SITE_QUOTA, bytes. */
  quotaBytes: number;
  /**
   * How long a hold lasts unless renewed, ms (the transcode lock's
   * span): a run that dies gives its bytes back this long after.
   */
  ttlMs: number;
  logger: Logger;
  signal?: AbortSignal;
  /** Between asks while other runs hold what this one needs. Default 1 s. */
  pollMs?: number;
  /**
   * Stored bytes the run frees as it stores its own (the renditions a
   * track update replaces), counted as left; its patch checks them.
   */
  creditBytes?: number;
}

/**
 * One run's share of its site's INGEST_SITE_QUOTA. Asked once its
 * sources are probed for the bytes its renditions can take at most, it
 * holds them (or what is left, when less) in Redis out of what the site
 * has left after the other runs' holds: runs of a site at once never
 * take more together than its quota. While other runs hold what it
 * needs it waits for them; a site with nothing left fails the upload
 * `quota_exceeded`. The hold is renewed while the run lives and given
 * back by the publish of its track (PUBLISH_TRACK) or by `release`.
 */
export class QuotaBudget {
  /** The run's hold in Redis. */
  readonly runId = randomUUID();
  private renewal: NodeJS.Timeout | undefined;

  constructor(private readonly deps: BudgetDeps) {}

  /** Of BudgetDeps.creditBytes, what the hold took beyond what was left. */
  creditTaken = 0;

  /** Bytes counted as freed by the run (BudgetDeps.creditBytes). */
  get credit(): number {
    return this.deps.creditBytes ?? 0;
  }

  get quotaBytes(): number {
    return this.deps.quotaBytes;
  }

  /** Holds up to `needBytes` (Infinity: unknown); the bytes held. */
  async take(needBytes: number): Promise<number> {
    const { reservations, siteId, quotaBytes, ttlMs, logger } = this.deps;
    let told = false;
    for (;;) {
      const answer = await reservations.reserve(
        siteId,
        this.runId,
        needBytes,
        quotaBytes,
        ttlMs,
        this.credit,
      );
      if (answer.granted > 0) {
        const leftWithout = answer.left - this.credit;
        this.creditTaken = Math.max(0, answer.granted - Math.max(0, leftWithout));
        this.renewEvery(ttlMs / 3);
        return answer.granted;
      }
      if (answer.held <= 0) throw quotaFull(quotaBytes);
      if (!told) {
        logger.info(
          { siteId, needBytes, leftBytes: answer.left, heldBytes: answer.held },
          'quota budget waits for other runs of the site',
        );
        told = true;
      }
      await sleep(this.deps.pollMs ?? 1000, undefined, {
        signal: this.deps.signal,
      });
    }
  }

  /** Gives the hold back (if the publish did not); idempotent. */
  async release(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    await this.deps.reservations.release(this.deps.siteId, this.runId);
  }

  private renewEvery(ms: number) {
    clearInterval(this.renewal);
    const { reservations, siteId, ttlMs, logger } = this.deps;
    this.renewal = setInterval(() => {
      reservations.renew(siteId, this.runId, ttlMs).catch((err: unknown) => {
        logger.warn({ err, siteId }, 'quota hold not renewed');
      });
    }, ms);
    this.renewal.unref();
  }
}

/** The upload's failure when its site has nothing left. */
export function quotaFull(quotaBytes: number): UploadFault {
  return new UploadFault(
    'quota_exceeded',
    `the site holds its storage quota of ${quotaBytes} bytes ` +
      '(INGEST_SITE_QUOTA): delete tracks or uploads to make room',
  );
}

/**
 * A site already at its quota (INGEST_SITE_QUOTA) is refused before
 * anything is copied or decoded.
 */
export async function refuseWhenFull(
  deps: ProcessorDeps,
  siteId: number,
  creditBytes = 0,
) {
  if (!deps.quotaBytes || !deps.usage) return;
  const used = await deps.usage.total(siteId);
  if (used - creditBytes >= deps.quotaBytes) throw quotaFull(deps.quotaBytes);
}

/**
 * The run's share of its site's quota, held in Redis as its renditions
 * are made; undefined without a quota.
 */
export function quotaBudget(
  deps: ProcessorDeps,
  siteId: number,
  creditBytes = 0,
): QuotaBudget | undefined {
  const { quotaBytes, reservations } = deps;
  if (!quotaBytes || !reservations) return undefined;
  return new QuotaBudget({
    reservations,
    siteId,
    quotaBytes,
    ttlMs: deps.holdTtlMs ?? 60_000,
    logger: deps.logger,
    signal: deps.signal,
    creditBytes,
  });
}

/** Gives a run's hold back; one left behind lapses on its own. */
export async function releaseBudget(
  deps: ProcessorDeps,
  budget: QuotaBudget | undefined,
): Promise<void> {
  await budget?.release().catch((err: unknown) => {
    deps.logger.warn({ err }, 'quota hold not given back');
  });
}
