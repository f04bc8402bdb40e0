import type { Site } from '@ingest/core';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import { hashToken } from './state-store';
import { writeUnderWatch } from './watched-write';

/** How often a rotation reads again after another change met it. */
const ROTATION_ATTEMPTS = 20;

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
   * Of two rotations at once, the one another wrote between its read and
   * its write is refused (`RotatedMeanwhile`), its token never stored:
   * written last, it would have revoked the other's new token, which was
   * printed as the site's. Needs a client of its own (WATCH), as
   * `replaceWebhookSecret` does.
   */
  async replaceToken(siteId: number, token: string): Promise<number> {
    const hash = hashToken(token);
    const fresh = keys.token(hash);
    const prefix = keys.token('');
    // A site's tokens are found by a SCAN, which no WATCH covers; the
    // site's count of rotations stands for them: each rotation moves it,
    // so one that read the tokens before another wrote is dropped.
    const rotations = keys.siteTokenRotations(siteId);
    const revoked = await writeUnderWatch(
      this.redis,
      [rotations],
      async () => {
        const owned = await this.tokenKeysOf(siteId);
        const replaced = owned.filter((key) => key !== fresh);
        const transaction = this.redis
          .multi()
          .set(fresh, String(siteId))
          .del(keys.revokedToken(hash))
          .incr(rotations);
        for (const key of replaced) {
          // Remembered, so `npm start` does not make a new site with it.
          transaction
            .del(key)
            .set(keys.revokedToken(key.slice(prefix.length)), String(siteId));
        }
        return { transaction, result: replaced.length };
      },
      1,
    );
    if (revoked === undefined) throw new RotatedMeanwhile(siteId);
    return revoked;
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
    const replaced = await writeUnderWatch(
      this.redis,
      [key],
      async () => {
        const [current, formerJson] = await this.redis.hmget(
          key,
          'webhookSecret',
          'formerSecrets',
        );
        const former = current ?? site.webhookSecret;
        const now = Date.now();
        const earlier = formerJson
          ? (JSON.parse(formerJson) as NonNullable<Site['formerSecrets']>)
          : [];
        const formerSecrets = [
          { secret: former, until: formerUntil },
          ...earlier.filter((f) => f.until > now),
        ];
        const transaction = this.redis
          .multi()
          .hset(key, {
            webhookSecret: secret,
            formerSecrets: JSON.stringify(formerSecrets),
          })
          // Kept past its day of signing, so `npm start` never puts it back.
          .sadd(keys.siteRetiredSecrets(site.id), hashToken(former));
        return { transaction, result: { ...site, webhookSecret: secret, formerSecrets } };
      },
      ROTATION_ATTEMPTS,
    );
    if (!replaced) throw keptChanging(site.id, 'secret');
    return replaced;
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

function keptChanging(siteId: number, what: 'token' | 'secret'): Error {
  return new Error(`site ${siteId} kept changing while its ${what} was replaced`);
}

/** A token rotation refused: another rotation of the site was written during it. */
export class RotatedMeanwhile extends Error {
  override name = 'RotatedMeanwhile';

  constructor(readonly siteId: number) {
    super(
      `another token rotation of site ${siteId} ran at the same time and its ` +
        'token is now the only one that works; this one stored no token: run ' +
        'it again to replace that one',
    );
  }
}
