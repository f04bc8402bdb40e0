/**
 * `npm run site:rotate -- --site ID [--token] [--webhook-secret]` gives
 * a site a new API token, a new webhook secret, or both, and prints
 * them. The old token stops working at once: one rotates a token that
 * leaked; the data dir's `dev-site.json` keeping the site gets the new
 * one, so npm start's default site stays itself. The old secret signs
 * beside the new one for a day (the span of a delivery's retries), so
 * receivers can take the new one at leisure.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { RotatedMeanwhile, SiteCredentials, StateStore } from '@ingest/state';
import {
  exitRefused,
  scriptConfig,
  scriptOptions,
  ScriptRefusal,
} from './script-refusal';
import { devSiteFile, readKeptDevSite, writeKeptDevSite } from './dev-site-file';
import { openScriptRedis } from './stack-redis';

const USAGE =
  'usage: npm run site:rotate -- --site ID [--token] [--webhook-secret] ' +
  '(one of them at least)';

/** How long a replaced webhook secret still signs. */
const FORMER_SECRET_MS = 24 * 60 * 60 * 1000;

const { values } = scriptOptions(
  () =>
    parseArgs({
      options: {
        site: { type: 'string' },
        token: { type: 'boolean' },
        'webhook-secret': { type: 'boolean' },
      },
    }),
  USAGE,
);
const siteId = Number(values.site);
if (!/^[1-9]\d*$/.test(values.site ?? '')) exitRefused(new ScriptRefusal(USAGE));
if (!values.token && !values['webhook-secret']) exitRefused(new ScriptRefusal(USAGE));

const config = scriptConfig();
const redis = await openScriptRedis(config).catch(exitRefused);
try {
  const site = await new StateStore(redis).getSite(siteId);
  if (!site) exitRefused(new ScriptRefusal(`there is no site ${siteId}`));
  const credentials = new SiteCredentials(redis);
  const answer: Record<string, unknown> = { site_id: site.id, name: site.name };

  if (values.token) {
    const token = randomBytes(24).toString('base64url');
    answer.tokens_revoked = await credentials
      .replaceToken(site.id, token)
      .catch((err: unknown) => {
        if (!(err instanceof RotatedMeanwhile)) throw err;
        // The secret comes after the token: it was not replaced either.
        const secret = values['webhook-secret'] ? ' (nor the webhook secret)' : '';
        exitRefused(new ScriptRefusal(err.message + secret));
      });
    answer.token = token;
    const kept = await keepRotatedDevSite(config.dataDir, site.id, token);
    if (kept) answer.dev_site_file = kept;
  }
  if (values['webhook-secret']) {
    const until = Date.now() + FORMER_SECRET_MS;
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    await credentials.replaceWebhookSecret(site, secret, until);
    answer.webhook_secret = secret;
    answer.former_secret_signs_until = new Date(until).toISOString();
  }
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
} finally {
  redis.disconnect();
}

/**
 * Writes the new token into the data dir's `dev-site.json` when that
 * file keeps the site rotated (npm start's default site), so the next
 * start opens it again rather than a new, empty one; the file's path
 * when it did. A file that cannot be read is left to npm start to tell.
 */
async function keepRotatedDevSite(
  dataDir: string,
  siteId: number,
  token: string,
): Promise<string | undefined> {
  const read = await readKeptDevSite(dataDir).catch(() => ({ kept: undefined }));
  if (read.kept?.siteId !== siteId) return undefined;
  await writeKeptDevSite(dataDir, { siteId, token });
  return devSiteFile(dataDir);
}
