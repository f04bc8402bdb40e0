/**
 * `npm run site:create -- --name NAME [--email ADDRESS] [--custom "A,B"]`
 * makes a site (a tenant) and prints its token and webhook secret. The
 * token is shown once: only its hash is stored. `--custom` may also be
 * repeated (`--custom A --custom "B,C"`): every field of every one counts.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { asciiDomain, isSingleAddress } from '@ingest/core';
import { StateStore } from '@ingest/state';
import {
  exitRefused,
  scriptConfig,
  scriptOptions,
  ScriptRefusal,
} from './script-refusal';
import { openScriptRedis } from './stack-redis';

const USAGE =
  'usage: npm run site:create -- --name NAME [--email ADDRESS] ' +
  '[--custom "Field A,Field B"]';

const values = options();

const redis = await openScriptRedis(scriptConfig()).catch(exitRefused);
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
  const { values } = scriptOptions(
    () =>
      parseArgs({
        options: {
          name: { type: 'string' },
          email: { type: 'string' },
          custom: { type: 'string', multiple: true },
        },
      }),
    USAGE,
  );
  if (!values.name) exitRefused(new ScriptRefusal(USAGE));
  // Taken as the API takes an address: an international domain in its
  // xn-- form (`jo@bücher.de` was refused here, and taken by createJob).
  const email = values.email === undefined ? undefined : asciiDomain(values.email);
  if (email && !isSingleAddress(email)) {
    const given = JSON.stringify(values.email);
    exitRefused(new ScriptRefusal(`--email ${given} is not one plain address`));
  }
  return { ...values, name: values.name, email };
}

/** The fields of every `--custom`, in order, each once. */
function customFields(given: string[]): string[] {
  const fields = given.flatMap((list) => list.split(','));
  return [...new Set(fields.map((field) => field.trim()).filter(Boolean))];
}
