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
const FLAGS: Record<string, boolean> = {
  '1': true,
  true: true,
  yes: true,
  '0': false,
  false: false,
  no: false,
};

/**
 * Reads `s3://bucket[/prefix]?endpoint=…&region=…&forcePathStyle=…`.
 * Path style is the default when an endpoint is given (S3-compatible
 * servers rarely have per-bucket host names) and off for AWS.
 */
export function parseS3Url(raw: string): S3Location {
  const fail = (why: string) => {
    throw new Error(`STORAGE_URL: ${why}`);
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
  }
  const endpoint = params.get('endpoint') || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    fail('endpoint must be an http:// or https:// URL');
  }
  const style = params.get('forcePathStyle');
  if (style !== null && !(style in FLAGS)) {
    fail('forcePathStyle must be true or false');
  }

  const trimmed = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  return {
    bucket,
    prefix: trimmed ? `${trimmed}/` : '',
    endpoint,
    region: params.get('region') || undefined,
    forcePathStyle: style === null ? endpoint !== undefined : FLAGS[style],
  };
}
