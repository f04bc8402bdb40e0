import { ApiError } from '@ingest/core';
import { IMPORT_PAYLOAD_VERSION, type ImportPayloadV1 } from '@ingest/queue';
import {
  addJson,
  emptyParams,
  PARAM_LIMITS,
  type Params,
} from '../http/params';
import { REQUEST_ID_MAX_CHARS, usableRequestId } from '../http/request-id';

export type ImportSource = ImportPayloadV1['source'];

/** An inbound import, read: who, what bytes, and the upload parameters. */
export interface ImportRequest {
  siteId: number;
  source: ImportSource;
  /** The parameters `/api/import/upload` would have been given. */
  params: Params;
  requestId?: string;
}

// Every field of v1, so a field added to the type must be added here.
const V1_FIELDS: Record<keyof ImportPayloadV1, true> = {
  v: true,
  siteId: true,
  source: true,
  formats: true,
  meta: true,
  jobId: true,
  uploadId: true,
  oncomplete: true,
  autopublish: true,
  requestId: true,
};

/**
 * Producers put files for the gateway under this prefix, so a payload
 * cannot name a site's sources or renditions by mistake.
 */
export const INBOUND_PREFIX = 'inbound/';
const INBOUND_KEY = /^inbound(\/[A-Za-z0-9][A-Za-z0-9._-]*)+$/;
/** The most characters of an unknown field's name a refusal quotes. */
const NAME_CHARS = 100;
/** S3's limit on keys, which a folder store also keeps under. */
const MAX_KEY_BYTES = 1024;
/** A folder store's limit on one file or folder name (NAME_MAX). */
const MAX_SEGMENT_BYTES = 255;

/**
 * Reads a queue payload into the parameters of an HTTP upload, so the
 * upload's own checks (`UploadService.prepare`) judge it. Only what HTTP
 * has no counterpart for is checked here: version, field names, site and
 * source.
 */
export function readImportPayload(data: unknown): ImportRequest {
  if (!isObject(data)) {
    throw payloadRefused('payload must be an object', []);
  }
  if (data.v !== IMPORT_PAYLOAD_VERSION) {
    throw new ApiError(
      'unsupported_version',
      `payload version ${JSON.stringify(data.v ?? null)} is not ` +
        `supported; this gateway reads v ${IMPORT_PAYLOAD_VERSION}`,
      { supported: [IMPORT_PAYLOAD_VERSION] },
    );
  }
  const unknown = Object.keys(data)
    .filter((key) => !Object.hasOwn(V1_FIELDS, key))
    // Cut as HTTP cuts the names its errors quote: the refusal is kept
    // a week, and each name shows in it three times.
    .map((key) => key.slice(0, NAME_CHARS));
  if (unknown.length > 0) {
    // `fields` came first and stays for producers that read it.
    throw payloadRefused(
      `unknown payload fields: ${unknown.join(', ')}`,
      unknown,
      { fields: unknown },
    );
  }

  const payload = data as Partial<ImportPayloadV1>;
  if (!Number.isSafeInteger(payload.siteId) || payload.siteId! < 1) {
    throw payloadRefused('siteId must be a positive integer', ['siteId']);
  }
  const { requestId } = payload;
  if (requestId !== undefined && usableRequestId(requestId) === undefined) {
    // The rule X-Request-Id is held to; a payload cannot fall back on a
    // generated id as HTTP does, since the producer reads its own back.
    throw payloadRefused(
      `requestId must be text of 1 to ${REQUEST_ID_MAX_CHARS} ` +
        'visible ASCII characters (no spaces or controls)',
      ['requestId'],
    );
  }

  const source = readSource(payload.source);
  const params = emptyParams();
  addJson(params, {
    url: 'url' in source ? source.url : undefined,
    formats: payload.formats,
    meta: payload.meta,
    job_id: payload.jobId,
    upload_id: payload.uploadId,
    oncomplete: payload.oncomplete,
    autopublish: payload.autopublish,
  });
  return {
    siteId: payload.siteId!,
    source,
    params,
    requestId,
  };
}

function readSource(source: unknown): ImportSource {
  if (!isObject(source)) throw sourceRefused();
  const keys = Object.keys(source).sort().join(',');
  if (keys === 'url') {
    if (typeof source.url !== 'string' || !source.url.trim()) {
      throw payloadRefused('source.url must be text', ['source.url']);
    }
    if (source.url.trim().length > PARAM_LIMITS.urlChars) {
      throw payloadRefused(
        `source.url must be at most ${PARAM_LIMITS.urlChars} characters long`,
        ['source.url'],
      );
    }
    return { url: source.url.trim() };
  }
  if (keys === 'filename,storageKey') {
    const { storageKey, filename } = source;
    if (
      typeof storageKey !== 'string' ||
      storageKey.length > MAX_KEY_BYTES ||
      !INBOUND_KEY.test(storageKey) ||
      storageKey.split('/').some((part) => part.length > MAX_SEGMENT_BYTES)
    ) {
      // The key is ASCII (INBOUND_KEY), so characters are bytes.
      throw payloadRefused(
        `source.storageKey must be a storage key under ${INBOUND_PREFIX}` +
          ` of at most ${MAX_KEY_BYTES} bytes, ${MAX_SEGMENT_BYTES} ` +
          'between slashes',
        ['source.storageKey'],
      );
    }
    if (typeof filename !== 'string') {
      throw payloadRefused('source.filename must be text', [
        'source.filename',
      ]);
    }
    // It becomes the Filename field: held to what a meta value may hold.
    if (Buffer.byteLength(filename) > PARAM_LIMITS.metaValueBytes) {
      throw payloadRefused(
        `source.filename is longer than ${PARAM_LIMITS.metaValueBytes} bytes`,
        ['source.filename'],
      );
    }
    return { storageKey, filename };
  }
  throw sourceRefused();
}

/**
 * A payload value refused as HTTP refuses a parameter: `invalid_parameter`
 * naming, in `parameters`, the payload fields at fault (`source.url`), or
 * none when the payload as a whole is.
 */
function payloadRefused(
  message: string,
  parameters: string[],
  extras: Record<string, unknown> = {},
): ApiError {
  return new ApiError('invalid_parameter', message, { parameters, ...extras });
}

function sourceRefused(): ApiError {
  return payloadRefused('source must be {url} or {storageKey, filename}', [
    'source',
  ]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
