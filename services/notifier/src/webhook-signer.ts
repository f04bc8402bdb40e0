import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface SignInput {
  /**
   * The site's secret, `whsec_<base64>` (the prefix is optional), or
   * several (during a rotation): each adds its own `v1,` entry.
   */
  secret: string | readonly string[];
  /** The event id; the same on every retry of one event. */
  id: string;
  /** Unix time in seconds of this attempt. */
  timestamp: number;
  /** The exact bytes that are sent as the request body. */
  body: string;
}

/**
 * Signs one delivery in the Standard Webhooks format: HMAC-SHA256 over
 * `id.timestamp.body`, keyed by the base64-decoded part of the secret.
 */
export function signWebhook(input: SignInput): WebhookHeaders {
  const timestamp = String(Math.floor(input.timestamp));
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  const signatures = secrets.map((secret) => {
    const signature = createHmac('sha256', secretKey(secret))
      .update(`${input.id}.${timestamp}.${input.body}`)
      .digest('base64');
    return `v1,${signature}`;
  });

  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    // Standard Webhooks: entries separated by spaces; any one may verify.
    'webhook-signature': signatures.join(' '),
  };
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX)
    ? secret.slice(SECRET_PREFIX.length)
    : secret;
  const key = Buffer.from(encoded, 'base64');
  // A secret that decodes to nothing would sign with an empty key, which
  // any receiver could forge.
  if (key.length === 0) throw new Error('webhook secret is empty');
  return key;
}
