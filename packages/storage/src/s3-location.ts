import { ConfigError, readSwitch, SWITCH_SPELLINGS } from '@ingest/core';

/** Where an S3 storage lives, as a `STORAGE_URL` names it. */
export interface S3Location {
  bucket: string;
  /** Prepended to every key: '' or a path ending in '/'. */
  prefix: string;
  /** An S3-compatible server (MinIO…); unset for AWS itself. */
  endpoint?: string;
  /** Unset: the SDK's own chain (`AWS_REGION`, profile…). */
  region?: string;
  /** `host/bucket/key` URLs instead of `bucket.host/key`. */
  forcePathStyle: boolean;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KNOWN = new Set(['endpoint', 'region', 'forcePathStyle']);
/** What the AWS SDK takes as a region: one host name label. */
const REGION = /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/;

/**
 * Reads `s3://bucket[/prefix]?endpoint=…&region=…&forcePathStyle=…`.
 * Path style is the default when an endpoint is given (S3-compatible
 * servers rarely have per-bucket host names) and off for AWS.
 */
export function parseS3Url(raw: string): S3Location {
  const fail = (why: string): never => {
    throw new ConfigError([`STORAGE_URL: ${why}`]);
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 's3:') fail(`expected s3://, got ${url.protocol}`);
  if (url.username || url.password) {
    fail('credentials do not go in the URL; set AWS_ACCESS_KEY_ID etc.');
  }
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) fail(`"${bucket}" is not a valid bucket name`);

  const params = url.searchParams;
  for (const name of params.keys()) {
    if (!KNOWN.has(name)) fail(`unknown parameter "${name}"`);
    // Which of two would win is a guess the operator should not have to make.
    if (params.getAll(name).length > 1) fail(`"${name}" is given more than once`);
  }
  const endpoint = params.get('endpoint') || undefined;
  if (endpoint) checkEndpoint(endpoint, fail);
  const region = params.get('region') || undefined;
  if (region && !REGION.test(region)) {
    fail(`region "${region}" is not a region name (letters, digits, hyphens)`);
  }
  const style = params.get('forcePathStyle');
  const pathStyle = style === null ? endpoint !== undefined : readSwitch(style);
  if (pathStyle === undefined) fail(`forcePathStyle must be ${SWITCH_SPELLINGS}`);

  return {
    bucket,
    prefix: readPrefix(raw, fail),
    endpoint,
    region,
    forcePathStyle: pathStyle === true,
  };
}

/** An http(s) URL of a server, with no credentials in it. */
function checkEndpoint(endpoint: string, fail: (why: string) => never): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.host) {
    fail('endpoint must be an http:// or https:// URL');
  }
  if (url.username || url.password) {
    fail('credentials do not go in the endpoint; set AWS_ACCESS_KEY_ID etc.');
  }
}

/**
 * The key prefix from the URL's path as written (URL parsing would
 * resolve `..` away): '' or folders ending in '/'. An empty, `.` or `..`
 * folder is refused rather than tidied, since stores differ in what they
 * make of such keys.
 */
function readPrefix(raw: string, fail: (why: string) => never): string {
  const written = /^s3:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? '';
  let path: string;
  try {
    path = decodeURIComponent(written).replace(/^\/+|\/+$/g, '');
  } catch {
    return fail(`the prefix "${written}" has a broken %-escape`);
  }
  if (!path) return '';
  const folders = path.split('/');
  if (folders.some((folder) => folder === '' || folder === '.' || folder === '..')) {
    fail(`the prefix "${path}" has an empty, "." or ".." folder`);
  }
  return `${path}/`;
}
