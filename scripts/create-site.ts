/**
 * `npm run site:create -- --name NAME [--email ADDRESS] [--custom "A,B"]`
 * makes a site (a tenant) and prints its token and webhook secret. The
 * token is shown once: only its hash is stored. `--custom` may also be
 * repeated (`--custom A --custom "B,C"`): every field of every one counts.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '@ingest/config';
import { isSingleAddress } from '@ingest/core';
import { createRedis, redisAnswers } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { stackRedisUrl } from './stack-redis';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    custom: { type: 'string', multiple: true },
  },
});
if (!values.name) {
  process.stderr.write(
    'usage: npm run site:create -- --name NAME [--email ADDRESS] ' +
      '[--custom "Field A,Field B"]\n',
  );
  process.exit(1);
}

if (values.email && !isSingleAddress(values.email)) {
  process.stderr.write(
    `--email ${JSON.stringify(values.email)} is not one plain address\n`,
  );
  process.exit(1);
}

/** How long a Redis that does not answer is waited for. */
const REDIS_WAIT_MS = 5_000;

const config = loadConfig();
const redisUrl = await stackRedisUrl(config);
const redis = createRedis(redisUrl);
if (!(await redisAnswers(redis, REDIS_WAIT_MS))) {
  // A stopped `npm start` leaves its redis.url behind.
  const from = config.redisUrlGiven ? 'REDIS_URL' : 'the redis.url npm start left';
  process.stderr.write(
    `no Redis answers at ${redactPassword(redisUrl)} (${from}) within ` +
      `${REDIS_WAIT_MS / 1000} s: is npm start running? Or set REDIS_URL\n`,
  );
  redis.disconnect();
  process.exit(1);
}
try {
  const token = randomBytes(24).toString('base64url');
  const site = await new StateStore(redis).createSite({
    name: values.name,
    token,
    webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    contactEmail: values.email,
    customFields: customFields(values.custom ?? []),
  });
  process.stdout.write(
    JSON.stringify(
      {
        site_id: site.id,
        name: site.name,
        token,
        webhook_secret: site.webhookSecret,
        custom_fields: site.customFields,
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  redis.disconnect();
}

/** The fields of every `--custom`, in order, each once. */
function customFields(given: string[]): string[] {
  const fields = given.flatMap((list) => list.split(','));
  return [...new Set(fields.map((field) => field.trim()).filter(Boolean))];
}

/** The URL without its password, fit for a message. */
function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the Redis URL';
  }
}
