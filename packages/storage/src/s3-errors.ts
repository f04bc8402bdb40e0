import { StorageUnavailableError } from './storage-errors';

/** Socket codes of a connection to the store that failed or broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** S3 error names that mean our credentials or bucket are wrong. */
const REFUSALS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
]);

/**
 * AWS's answers to requests signed for, or sent to, another region than
 * the bucket's (a 400 and a 301): a setting to fix, as refused keys are,
 * not a fault of one request or object.
 */
const WRONG_REGION = new Set(['AuthorizationHeaderMalformed', 'PermanentRedirect']);

/**
 * The SDK's credential chain found nothing. An outage like refused
 * credentials: a role's credentials may come back (instance metadata,
 * EKS web identity), and a fixed setup is taken at the next call. The
 * SDK reads the key variables only while AWS_PROFILE is unset: keys set
 * beside a profile without credentials end here too.
 */
export const NO_CREDENTIALS =
  'storage: no credentials found; set AWS_ACCESS_KEY_ID and ' +
  'AWS_SECRET_ACCESS_KEY (which the SDK skips while AWS_PROFILE is set), ' +
  'a profile (AWS_PROFILE) or a role';

/** Neither STORAGE_URL nor the SDK's chain names a signing region. */
export const NO_REGION =
  'storage: no region; set region= in STORAGE_URL, AWS_REGION, or a ' +
  "profile's region";

/**
 * Why the SDK's chain gave no usable signing region: none at all, or
 * one it refuses (e.g. `AWS_REGION="eu west 1"`), named with its reason.
 */
export function regionProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (!/^Region not accepted/i.test(message)) return NO_REGION;
  return `storage: ${message.replace(/\.$/, '')}; set region= in ` +
    "STORAGE_URL, AWS_REGION, or a profile's region";
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The HTTP status the store answered `err` with, if it answered. */
export function s3Status(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Why the store failed us, in words for a person, or undefined when
 * `err` is about the request or the object (a 404, a failed If-Match, a
 * local disk error), not the store.
 */
export function s3Outage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as SdkError;
  const status = s3Status(err);
  const detail = e.message || e.code || e.name || 'no detail';
  if (status !== undefined && status >= 500) {
    return `storage unreachable: S3 answered ${status} ${e.name ?? ''}`.trim();
  }
  if (e.name && WRONG_REGION.has(e.name)) {
    return `storage refused the request (${e.name}): check the region ` +
      '(region= in STORAGE_URL, AWS_REGION) against the bucket\'s';
  }
  if (e.name && REFUSALS.has(e.name)) {
    return `storage refused the request (${e.name}): check the bucket ` +
      'and the credentials';
  }
  if (status === 403) {
    return 'storage refused the request (403): check the credentials';
  }
  if (e.name === 'CredentialsProviderError') return NO_CREDENTIALS;
  if (status !== undefined) return undefined;
  if (e.name === 'TimeoutError' || (e.code && NETWORK_CODES.has(e.code))) {
    return `storage unreachable: ${detail}`;
  }
  if (err instanceof AggregateError) {
    return err.errors.map(s3Outage).find(Boolean);
  }
  return undefined;
}

/** `err` as a StorageUnavailableError when it is an outage, else as is. */
export function s3Failure(err: unknown): unknown {
  const outage = s3Outage(err);
  return outage ? new StorageUnavailableError(outage, { cause: err }) : err;
}

/** A GET that found the key missing, or holding other bytes (If-Match). */
export function isGone(err: unknown): boolean {
  const name = (err as Error).name;
  return (
    name === 'NoSuchKey' ||
    name === 'PreconditionFailed' ||
    s3Status(err) === 404 ||
    s3Status(err) === 412
  );
}

/** A HEAD or GET that found no object (or no bucket) at the key. */
export function isNotFound(err: unknown): boolean {
  const name = (err as Error).name;
  return name === 'NotFound' || name === 'NoSuchKey' || s3Status(err) === 404;
}
