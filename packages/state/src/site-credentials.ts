import type { Site } from '@ingest/core';
import type { Redis } from 'ioredis';
import { encodeSite } from './codec';
import { keys } from './keys';
import { hashToken } from './state-store';

/**
 * A site's credentials replaced (`npm run site:rotate`). Only a token's
 * hash is kept, under a key naming the hash, so the site's old tokens
 * are found by their value: the site's id.
 */
export class SiteCredentials {
  constructor(private readonly redis: Redis) {}

  /**
   * Makes `token` the site's only token: every earlier one stops working
   * at once (a leaked token is why one rotates). Answers how many went.
   */
  async replaceToken(siteId: number, token: string): Promise<number> {
    const owned = await this.tokenKeysOf(siteId);
    const fresh = keys.token(hashToken(token));
    const transaction = this.redis.multi().set(fresh, String(siteId));
    for (const key of owned) if (key !== fresh) transaction.del(key);
    await transaction.exec();
    return owned.filter((key) => key !== fresh).length;
  }

  /**
   * Makes `secret` the site's webhook secret; the one it replaces still
   * signs beside it until `formerUntil` (ms since the epoch), so each
   * delivery carries both signatures while receivers switch over.
   */
  async replaceWebhookSecret(
    site: Site,
    secret: string,
    formerUntil: number,
  ): Promise<Site> {
    const replaced: Site = {
      ...site,
      webhookSecret: secret,
      formerSecret: { secret: site.webhookSecret, until: formerUntil },
    };
    await this.redis.hset(keys.site(site.id), encodeSite(replaced));
    return replaced;
  }

  private async tokenKeysOf(siteId: number): Promise<string[]> {
    const owned: string[] = [];
    const stream = this.redis.scanStream({ match: keys.token('*'), count: 500 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      if (batch.length === 0) continue;
      const owners = await this.redis.mget(batch);
      batch.forEach((key, i) => {
        if (owners[i] === String(siteId)) owned.push(key);
      });
    }
    return owned;
  }
}

/** The secrets a delivery is signed with at `now`: the site's, then any former one. */
export function signingSecrets(site: Site, now: number): string[] {
  const former = site.formerSecret;
  return former && former.until > now
    ? [site.webhookSecret, former.secret]
    : [site.webhookSecret];
}
