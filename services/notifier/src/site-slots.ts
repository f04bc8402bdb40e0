import { QUEUE_POLICIES } from '@ingest/queue';

/**
 * Webhook slots any one site is sure to get in one notifier. Past it, a
 * site takes more only while as many stay free for the others: without
 * a limit, a site whose receiver never answers fills every slot with
 * POSTs that wait out their time limit, and every other site's webhooks
 * queue up behind them.
 */
export const WEBHOOK_SLOTS_PER_SITE = 4;

/** The webhook deliveries one notifier runs at once. */
const WEBHOOK_SLOTS = QUEUE_POLICIES.webhook.concurrency as number;

/**
 * The most slots a site holds: in one notifier, all but the share kept
 * for the others; across notifiers the same (see SiteLeases).
 */
export const WEBHOOK_SLOTS_SITE_MOST = WEBHOOK_SLOTS - WEBHOOK_SLOTS_PER_SITE;

/**
 * Counts the webhook deliveries in flight, per site, in this process:
 * each notifier keeps its share of slots for the other sites. What a
 * site holds across notifiers is counted in Redis (SiteLeases).
 */
export class SiteSlots {
  private readonly held = new Map<number, number>();
  private total = 0;

  constructor(
    private readonly perSite = WEBHOOK_SLOTS_PER_SITE,
    private readonly slots = WEBHOOK_SLOTS,
  ) {}

  /**
   * Takes a slot for `siteId`: always within its share, past it only
   * while `perSite` slots would still be free. False: it must wait.
   */
  take(siteId: number): boolean {
    const held = this.held.get(siteId) ?? 0;
    const spare = this.slots - this.total - 1 >= this.perSite;
    if (held >= this.perSite && !spare) return false;
    this.held.set(siteId, held + 1);
    this.total += 1;
    return true;
  }

  release(siteId: number): void {
    const held = this.held.get(siteId) ?? 0;
    if (held === 0) return;
    if (held === 1) this.held.delete(siteId);
    else this.held.set(siteId, held - 1);
    this.total -= 1;
  }
}
