/**
 * Webhook slots one site may hold at once in one notifier, of the 16 its
 * webhook worker runs (QUEUE_POLICIES). Without a share, a site whose
 * receiver never answers fills every slot with POSTs that wait out their
 * time limit, and every other site's webhooks queue up behind them.
 */
export const WEBHOOK_SLOTS_PER_SITE = 4;

/** Counts the webhook deliveries in flight per site, in this process. */
export class SiteSlots {
  private readonly held = new Map<number, number>();

  constructor(private readonly perSite = WEBHOOK_SLOTS_PER_SITE) {}

  /** Takes a slot for `siteId`; false when the site holds its share. */
  take(siteId: number): boolean {
    const held = this.held.get(siteId) ?? 0;
    if (held >= this.perSite) return false;
    this.held.set(siteId, held + 1);
    return true;
  }

  release(siteId: number): void {
    const held = this.held.get(siteId) ?? 0;
    if (held <= 1) this.held.delete(siteId);
    else this.held.set(siteId, held - 1);
  }
}
