/**
 * The default site of `npm start`: found by INGEST_DEV_TOKEN when one is
 * given, made otherwise. Settings a `npm run site:rotate` replaced are
 * refused before the stack starts rather than brought back: a revoked
 * token would open a new site, a replaced secret would sign again.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '@ingest/config';
import { createRedis } from '@ingest/queue';
import { SiteCredentials, StateStore } from '@ingest/state';
import { ScriptRefusal } from './script-refusal';

/**
 * Refuses INGEST_DEV_TOKEN or INGEST_DEV_WEBHOOK_SECRET when
 * `npm run site:rotate` replaced it. Writes nothing.
 */
export async function assertDevSettingsCurrent(
  config: Config,
  redisUrl: string,
): Promise<void> {
  const { token, webhookSecret } = config.dev;
  if (!token) return;
  const redis = createRedis(redisUrl);
  try {
    const site = await new StateStore(redis).siteByToken(token);
    if (!site) {
      const revokedFrom = await new SiteCredentials(redis).revokedFrom(token);
      if (revokedFrom === undefined) return;
      throw new ScriptRefusal(
        `INGEST_DEV_TOKEN is a token of site ${revokedFrom} that npm run ` +
          'site:rotate replaced: it opens no site any more, and npm start makes ' +
          'no new one with it. Set INGEST_DEV_TOKEN to the token site:rotate ' +
          'printed, or unset it to start with a new site',
      );
    }
    if (
      webhookSecret &&
      webhookSecret !== site.webhookSecret &&
      // Still signing for its day, or retired for good (its day over).
      (site.formerSecrets?.some((f) => f.secret === webhookSecret) ||
        (await new SiteCredentials(redis).isRetiredSecret(site.id, webhookSecret)))
    ) {
      throw new ScriptRefusal(
        `INGEST_DEV_WEBHOOK_SECRET is a webhook secret of site ${site.id} that ` +
          'npm run site:rotate replaced; npm start would make it the secret ' +
          'again. Set it to the webhook_secret site:rotate printed, or unset ' +
          'it to keep the site\'s own',
      );
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * The default site. A token given in INGEST_DEV_TOKEN finds the site
 * made before, and the settings given now replace its old ones; one not
 * given keeps the site's own (the custom fields of a site:create site
 * were replaced by INGEST_DEV_CUSTOM_FIELDS's default).
 */
export async function ensureDevSite(config: Config, redisUrl: string) {
  const token = config.dev.token ?? randomBytes(24).toString('base64url');
  const redis = createRedis(redisUrl);
  try {
    const store = new StateStore(redis);
    const existing = await store.siteByToken(token);
    if (existing) {
      const site = {
        ...existing,
        webhookSecret: config.dev.webhookSecret ?? existing.webhookSecret,
        contactEmail: config.dev.contactEmail ?? existing.contactEmail,
        customFields: config.dev.customFieldsGiven
          ? config.dev.customFields
          : existing.customFields,
      };
      await store.updateSite(site);
      return { id: site.id, token, webhookSecret: site.webhookSecret };
    }

    const site = await store.createSite({
      name: 'default',
      token,
      webhookSecret:
        config.dev.webhookSecret ??
        `whsec_${randomBytes(24).toString('base64')}`,
      contactEmail: config.dev.contactEmail,
      customFields: config.dev.customFields,
    });
    return { id: site.id, token, webhookSecret: site.webhookSecret };
  } finally {
    redis.disconnect();
  }
}
