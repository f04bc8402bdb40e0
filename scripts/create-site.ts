/**
 * `npm run site:create -- --name NAME [--email ADDRESS] [--custom "A,B"]`
 * makes a site (a tenant) and prints its token and webhook secret. The
 * token is shown once: only its hash is stored. `--custom` may also be
 * repeated (`--custom A --custom "B,C"`): every field of every one counts.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isSingleAddress } from '@ingest/core';
import { createRedis, redisAnswers } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { exitRefused, scriptConfig, ScriptRefusal } from './script-refusal';
import { redisUrlFile, stackRedisUrl } from './stack-redis';

const USAGE =
  'usage: npm run site:create -- --name NAME [--email ADDRESS] ' +
  '[--custom "Field A,Field B"]';

const values = options();

/** How long a Redis that does not answer is waited for. */
const REDIS_WAIT_MS = 5_000;

const config = scriptConfig();
const redisUrl = await stackRedisUrl(config).catch(exitRefused);
const redis = createRedis(redisUrl);
if (!(await redisAnswers(redis, REDIS_WAIT_MS))) {
  redis.disconnect();
  exitRefused(new ScriptRefusal(silentRedis(redisUrl)));
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

/** The command line's options; a wrong one is refused with the usage. */
function options() {
  try {
    const { values } = parseArgs({
      options: {
        name: { type: 'string' },
        email: { type: 'string' },
        custom: { type: 'string', multiple: true },
      },
    });
    if (!values.name) exitRefused(new ScriptRefusal(USAGE));
    if (values.email && !isSingleAddress(values.email)) {
      const email = JSON.stringify(values.email);
      exitRefused(new ScriptRefusal(`--email ${email} is not one plain address`));
    }
    return { ...values, name: values.name };
  } catch (err) {
    // An unknown option, one without its value, an argument without one.
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    exitRefused(new ScriptRefusal(`${(err as Error).message}; ${USAGE}`));
  }
}

/** Why nothing was made, when the Redis to use does not answer. */
function silentRedis(url: string): string {
  const said =
    `no Redis answers at ${redactPassword(url)} within ` +
    `${REDIS_WAIT_MS / 1000} s`;
  if (config.redisUrlGiven) {
    return `${said} (REDIS_URL): is npm start running? Or set REDIS_URL`;
  }
  // A stopped `npm start` leaves its redis.url behind; one that runs now
  // may have been started with another INGEST_DATA_DIR.
  return (
    `${said} (from ${redisUrlFile(config.dataDir)}, left by an npm start ` +
    'that has stopped?): if npm start runs, set INGEST_DATA_DIR to the ' +
    'data dir it was started with (the "data:" line of its banner), or ' +
    'set REDIS_URL'
  );
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
