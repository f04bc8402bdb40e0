/**
 * `npm run site:usage -- --site ID [--recount]` shows the bytes a site
 * holds in storage as INGEST_SITE_QUOTA counts them, what its transcode
 * runs hold besides, and the quota. `--recount` counts the site anew
 * from its records: every source and rendition they name, at its size
 * in storage. That takes in files stored before the quota was counted,
 * and mends a count a crash left off by a file.
 */
import { parseArgs } from 'node:util';
import {
  filesOfSite,
  SiteReservations,
  SiteUsage,
  StateStore,
} from '@ingest/state';
import { openStorage, type Storage } from '@ingest/storage';
import {
  exitRefused,
  scriptConfig,
  scriptOptions,
  ScriptRefusal,
} from './script-refusal';
import { openScriptRedis } from './stack-redis';

const USAGE = 'usage: npm run site:usage -- --site ID [--recount]';

/** Sizes asked of storage at once while recounting. */
const SIZES_AT_ONCE = 16;

const { values } = scriptOptions(
  () =>
    parseArgs({
      options: {
        site: { type: 'string' },
        recount: { type: 'boolean' },
      },
    }),
  USAGE,
);
if (values.site === undefined) exitRefused(new ScriptRefusal(USAGE));
if (!/^[1-9]\d*$/.test(values.site)) {
  exitRefused(
    new ScriptRefusal(
      `--site ${values.site} is not a site id (a whole number from 1 up); ${USAGE}`,
    ),
  );
}
const siteId = Number(values.site);

const config = scriptConfig();
const redis = await openScriptRedis(config).catch(exitRefused);
try {
  const site = await new StateStore(redis).getSite(siteId);
  if (!site) exitRefused(new ScriptRefusal(`there is no site ${siteId}`));
  const usage = new SiteUsage(redis);
  const answer: Record<string, unknown> = { site_id: site.id, name: site.name };

  if (values.recount) {
    const storage = openStorage(config.storageUrl);
    try {
      let missing = 0;
      const recount = await usage
        .recount(site.id, async () => {
          const named = await filesOfSite(redis, site.id);
          await keepSourcesBeingAccepted(usage, site.id, named);
          const found = await sizesIn(storage, named);
          missing = found.missing;
          return found.sizes;
        })
        .catch(exitRefused);
      if (!recount) {
        exitRefused(
          new ScriptRefusal(
            `site ${siteId} stored or removed files during every try: ` +
              'run it again when the site is quieter',
          ),
        );
      }
      answer.recounted = {
        before_bytes: recount.beforeBytes,
        after_bytes: recount.afterBytes,
        files: recount.files,
        missing_files: missing,
      };
    } finally {
      await storage.close();
    }
  }

  const used = await usage.total(site.id);
  const quota = config.siteQuotaBytes ?? null;
  answer.used_bytes = used;
  answer.files = await usage.files(site.id);
  answer.reserved_bytes = await new SiteReservations(redis).held(site.id);
  answer.quota_bytes = quota;
  answer.left_bytes = quota === null ? null : Math.max(0, quota - used);
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
} finally {
  redis.disconnect();
}

/**
 * Adds to `named` the sources counted for the site that no record names.
 * A source is counted as soon as it is stored, before its upload is
 * made (the gateway probes it, reads the rest of the form): a recount
 * then dropped it, and the site held it uncounted for good. One a crash
 * left stays counted as long as the store holds it, until the storage
 * sweep removes it (and its count).
 */
async function keepSourcesBeingAccepted(
  usage: SiteUsage,
  siteId: number,
  named: Map<string, number>,
): Promise<void> {
  for (const key of await usage.counted(siteId)) {
    if (key.startsWith(`sources/${siteId}/`) && !named.has(key)) named.set(key, 0);
  }
}

/**
 * The files' sizes in storage; those it does not hold are left out and
 * counted. A store that holds none of several named files is refused:
 * STORAGE_URL most likely names another store than the services use.
 */
async function sizesIn(storage: Storage, named: Map<string, number>) {
  const sizes = new Map<string, number>();
  const keys = [...named.keys()];
  for (let i = 0; i < keys.length; i += SIZES_AT_ONCE) {
    const batch = keys.slice(i, i + SIZES_AT_ONCE);
    const found = await Promise.all(batch.map((key) => storage.size(key)));
    batch.forEach((key, j) => {
      const bytes = found[j];
      if (bytes !== undefined) sizes.set(key, bytes);
    });
  }
  if (keys.length > 0 && sizes.size === 0) {
    throw new ScriptRefusal(
      `the store at STORAGE_URL holds none of the ${keys.length} files ` +
        "the site's records name: is it the one the services use?",
    );
  }
  return { sizes, missing: keys.length - sizes.size };
}
