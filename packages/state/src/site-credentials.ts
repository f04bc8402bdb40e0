import type { Site } from '@ingest/core';
import type { Redis } from 'ioredis';
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
    const hash = hashToken(token);
    const fresh = keys.token(hash);
    const transaction = this.redis
      .multi()
      .set(fresh, String(siteId))
      .del(keys.revokedToken(hash));
    const prefix = keys.token('');
    for (const key of owned) {
      if (key === fresh) continue;
      // Remembered, so `npm start` does not make a new site with it.
      transaction.del(key).set(keys.revokedToken(key.slice(prefix.length)), String(siteId));
    }
    await transaction.exec();
    return owned.filter((key) => key !== fresh).length;
  }

  /** The site `token` opened before a rotation replaced it, if one did. */
  async revokedFrom(token: string): Promise<number | undefined> {
    const owner = await this.redis.get(keys.revokedToken(hashToken(token)));
    return owner ? Number(owner) : undefined;
  }

  /**
   * Makes `secret` the site's webhook secret; the one it replaces still
   * signs beside it until `formerUntil` (ms since the epoch), as do the
   * ones replaced before whose time has not run out, so each delivery
   * carries every signature a receiver may still check with. Only these
   * two fields are written: a change to the site meanwhile stays.
   */
  async replaceWebhookSecret(
    site: Site,
    secret: string,
    formerUntil: number,
  ): Promise<Site> {
    const key = keys.site(site.id);
    // Read and written under WATCH: two rotations at once each keep the
    // other's replaced secret, not only their own. WATCH belongs to the
    // connection: call this on a client of its own (site:rotate's), never
    // on one that others run MULTI or WATCH on meanwhile.
    for (let attempt = 1; ; attempt++) {
      await this.redis.watch(key);
      const [current, formerJson] = await this.redis.hmget(
        key,
        'webhookSecret',
        'formerSecrets',
      );
      const replaced = current ?? site.webhookSecret;
      const now = Date.now();
      const earlier = formerJson
        ? (JSON.parse(formerJson) as NonNullable<Site['formerSecrets']>)
        : [];
      const formerSecrets = [
        { secret: replaced, until: formerUntil },
        ...earlier.filter((former) => former.until > now),
      ];
      const done = await this.redis
        .multi()
        .hset(key, {
          webhookSecret: secret,
          formerSecrets: JSON.stringify(formerSecrets),
        })
        // Kept past its day of signing, so `npm start` never puts it back.
        .sadd(keys.siteRetiredSecrets(site.id), hashToken(replaced))
        .exec();
      if (done) return { ...site, webhookSecret: secret, formerSecrets };
      if (attempt >= 20) {
        throw new Error(`site ${site.id} kept changing while its secret was replaced`);
      }
    }
  }

  /** Whether `secret` is one a rotation replaced for the site. */
  async isRetiredSecret(siteId: number, secret: string): Promise<boolean> {
    const found = await this.redis.sismember(
      keys.siteRetiredSecrets(siteId),
      hashToken(secret),
    );
    return found === 1;
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

/** The secrets a delivery is signed with at `now`: the site's, then former ones. */
export function signingSecrets(site: Site, now: number): string[] {
  const former = (site.formerSecrets ?? []).filter((f) => f.until > now);
  return [site.webhookSecret, ...former.map((f) => f.secret)];
}
