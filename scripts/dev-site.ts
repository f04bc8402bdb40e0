/**
 * The default site of `npm start`: found by INGEST_DEV_TOKEN when one is
 * given, else the one kept in the data dir (dev-site-file.ts) while it
 * still answers to its token, made otherwise. Settings a `npm run
 * site:rotate` replaced are refused before the stack starts rather than brought back: a revoked
 * token would open a new site, a replaced secret would sign again.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '@ingest/config';
import type { Site } from '@ingest/core';
import { createRedis } from '@ingest/queue';
import { SiteCredentials, StateStore } from '@ingest/state';
import { ScriptRefusal } from './script-refusal';
import {
  readKeptDevSite,
  setAsideKeptDevSite,
  writeKeptDevSite,
  type KeptDevSite,
} from './dev-site-file';

/**
 * Refuses INGEST_DEV_TOKEN or INGEST_DEV_WEBHOOK_SECRET when
 * `npm run site:rotate` replaced it. Writes nothing.
 */
export async function assertDevSettingsCurrent(
  config: Config,
  redisUrl: string,
): Promise<void> {
  const { token, webhookSecret } = config.dev;
  // A kept file that cannot be read refuses the start before any service
  // runs, as ensureDevSite would later (a site made, then not written).
  if (!token) await readKeptDevSite(config.dataDir);
  // A new site takes any secret: only one found again can get an old one back.
  if (!token && !webhookSecret) return;
  const redis = createRedis(redisUrl);
  try {
    const store = new StateStore(redis);
    const site = token
      ? await store.siteByToken(token)
      : (await keptSite(store, config.dataDir)).found?.site;
    if (!site) {
      if (!token) return;
      const revokedFrom = await new SiteCredentials(redis).revokedFrom(token);
      if (revokedFrom === undefined) return;
      throw new ScriptRefusal(
        `INGEST_DEV_TOKEN is a token of site ${revokedFrom} that npm run ` +
          'site:rotate replaced: it opens no site any more, and npm start makes ' +
          'no new one with it. Set INGEST_DEV_TOKEN to the token site:rotate ' +
          'printed, or unset it to start with the site kept in the data dir ' +
          '(dev-site.json; a new site without one)',
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

/** A site found again, with the token that found it. */
interface Found {
  site: Site;
  token: string;
}

interface Kept {
  found?: Found;
  stale?: KeptDevSite;
  /** Why a file that is there named no site (not JSON…). */
  unusable?: string;
}

/**
 * The default site kept in the data dir, when the file names one that
 * still answers to the token it holds; `stale` is a file naming one that
 * does not (its token rotated, its Redis emptied).
 */
async function keptSite(store: StateStore, dataDir: string): Promise<Kept> {
  const { kept, unusable } = await readKeptDevSite(dataDir);
  if (!kept) return { unusable };
  const site = await store.siteByToken(kept.token);
  return site?.id === kept.siteId
    ? { found: { site, token: kept.token } }
    : { stale: kept };
}

/**
 * The default site. A token given in INGEST_DEV_TOKEN, or the one kept in
 * the data dir when none is given, finds the site made before, and the
 * settings given now replace its old ones; one not given keeps the
 * site's own (the custom fields of a site:create site were replaced by
 * INGEST_DEV_CUSTOM_FIELDS's default). Without INGEST_DEV_TOKEN the site
 * is kept in the data dir for the next start; a file there that named no
 * site is moved aside first (`setAside`, its new path).
 */
export async function ensureDevSite(config: Config, redisUrl: string) {
  const redis = createRedis(redisUrl);
  try {
    const store = new StateStore(redis);
    const given = config.dev.token;
    const kept: Kept = given ? {} : await keptSite(store, config.dataDir);
    const givenSite = given ? await store.siteByToken(given) : undefined;
    const found = givenSite ? { site: givenSite, token: given! } : kept.found;
    const site = await foundOrMade(store, config, found, given);
    const setAside = kept.unusable ? await setAsideKeptDevSite(config.dataDir) : undefined;
    if (!given) await writeKeptDevSite(config.dataDir, site);
    return { ...site, stale: kept.stale, unusable: kept.unusable, setAside };
  } finally {
    redis.disconnect();
  }
}

/** The site found again, its settings given now applied; or a new one. */
async function foundOrMade(
  store: StateStore,
  config: Config,
  found: Found | undefined,
  given: string | undefined,
) {
  if (found) {
    const existing = found.site;
    const site = {
      ...existing,
      webhookSecret: config.dev.webhookSecret ?? existing.webhookSecret,
      contactEmail: config.dev.contactEmail ?? existing.contactEmail,
      customFields: config.dev.customFieldsGiven
        ? config.dev.customFields
        : existing.customFields,
    };
    await store.updateSite(site);
    return { siteId: site.id, token: found.token, webhookSecret: site.webhookSecret };
  }

  const token = given ?? randomBytes(24).toString('base64url');
  const site = await store.createSite({
    name: 'default',
    token,
    webhookSecret:
      config.dev.webhookSecret ??
      `whsec_${randomBytes(24).toString('base64')}`,
    contactEmail: config.dev.contactEmail,
    customFields: config.dev.customFields,
  });
  return { siteId: site.id, token, webhookSecret: site.webhookSecret };
}
