import { ApiError, type Meta } from '@ingest/core';
import { LISTS, listItems } from './list-items';

/**
 * The parameters of one call, whichever way they came (SPEC §1): query
 * string, urlencoded or multipart form, or JSON. `meta` is gathered from
 * `meta[Name]` keys and from a `meta` object alike.
 */
export interface Params {
  values: Map<string, string>;
  /**
   * Repeated keys (`formats[]=mp3&formats[]=wav`, `formats[0]=mp3`) or
   * JSON arrays.
   */
  lists: Map<string, string[]>;
  meta: Meta;
  /** True when any meta key was sent, even an empty meta object. */
  hasMeta: boolean;
}

/**
 * Limits that keep a hostile request from costing much. A meta value
 * becomes one ffmpeg argument per output, and Linux caps one argument at
 * 128 KiB and all of them at 2 MiB, so meta values are held well under
 * the first and an upload's meta, copied into up to four renditions,
 * under the second.
 */
export const PARAM_LIMITS = {
  keys: 500,
  metaKeys: 200,
  valueBytes: 1 << 20,
  metaValueBytes: 64 * 1024,
  metaTotalBytes: 256 * 1024,
  /**
   * A URL (`url`, `oncomplete`), in characters: RFC 9110 asks servers to
   * take 8000 at least, and under the 16 KiB of a request's head it can
   * be sent in a query string as well as in a body.
   */
  urlChars: 8192,
};

const META_KEY = /^meta\[(.+)\]$/s;
// `meta[Title][]` or `meta[Title][x]`: a list or an object where a meta
// field's text belongs. A name holding brackets (`meta[Mix [B]]`) is not
// one: its last group does not follow a closing bracket.
const META_NESTED = /^meta\[(.+?)\](?:\[[^[\]]*\])+$/s;
// C0 controls but tab, LF and CR, DEL, and the C1 controls.
const CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/;
// `formats[]=…` and PHP's http_build_query form `formats[0]=…`. Items
// keep the order they came in; the one list read (formats) is a set.
const LIST_KEY = /^([^[\]]+)\[\d{0,9}\]$/;

export function emptyParams(): Params {
  return { values: new Map(), lists: new Map(), meta: {}, hasMeta: false };
}

/** Adds one `key=value` pair, as from a query string or a form. */
export function addPair(params: Params, key: string, value: unknown) {
  const text = scalar(key, value);
  if (key.startsWith('meta[')) refuseBadMetaKey(key);
  const metaMatch = META_KEY.exec(key);
  if (metaMatch) {
    setMeta(params, metaMatch[1], text);
    return;
  }

  const listMatch = LIST_KEY.exec(key);
  const name = listMatch ? listMatch[1] : key;
  if (!listMatch && LISTS.has(key.split('[')[0]) && key.includes('[')) {
    throw new ApiError(
      'invalid_parameter',
      `${key.slice(0, 100)}: a list is sent as name[]=… or name[0]=…`,
      { parameters: [key.slice(0, 100)] },
    );
  }
  countKey(params, name);
  if (listMatch) {
    const list = params.lists.get(name) ?? [];
    list.push(...listItems(name, text));
    params.lists.set(name, list);
    return;
  }
  const earlier = params.values.get(name);
  if (earlier !== undefined && earlier !== text && LISTS.has(name)) {
    // `formats=mp3&formats=wav`: how Python requests, Go's url.Values and
    // Java clients send a list. Each may itself be `a,b`.
    params.values.set(name, scalar(name, `${earlier},${text}`));
    return;
  }
  if (earlier !== undefined && earlier !== text) {
    // Which of two ids a call meant cannot be guessed (think `delete`).
    throw new ApiError(
      'invalid_parameter',
      `${name.slice(0, 100)} is given twice with different values`,
      { parameters: [name.slice(0, 100)] },
    );
  }
  params.values.set(name, text);
}

/**
 * A key that starts as a meta field but is not `meta[Name]` would
 * otherwise be dropped as an unknown parameter (`meta[Title]x`) or read
 * as a field name holding the brackets (`meta[Title][]`), silently.
 */
function refuseBadMetaKey(key: string) {
  const nested = META_NESTED.exec(key);
  if (nested) {
    const name = `meta[${nested[1].trim().slice(0, 100)}]`;
    throw new ApiError(
      'invalid_parameter',
      `${name} must be text, not a list or an object ` +
        `(${key.slice(0, 100)} was sent)`,
      { parameters: [name] },
    );
  }
  if (META_KEY.test(key)) return;
  const name = key.slice(0, 100);
  throw new ApiError(
    'invalid_parameter',
    `${name} is no meta field: send one as meta[Name]=…`,
    { parameters: [name] },
  );
}

/** Adds every field of a JSON body. */
export function addJson(params: Params, body: unknown) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    // The body as a whole is at fault, no one parameter.
    throw new ApiError('invalid_parameter', 'JSON body must be an object', {
      parameters: [],
    });
  }

  for (const [key, value] of Object.entries(body)) {
    if (key === 'meta' && value && typeof value === 'object') {
      if (Array.isArray(value)) {
        throw new ApiError('invalid_parameter', 'meta must be an object', {
          parameters: ['meta'],
        });
      }
      params.hasMeta = true;
      for (const [field, text] of Object.entries(value)) {
        setMeta(params, field, metaText(`meta[${field}]`, text));
      }
    } else if (value === null && key.startsWith('meta[')) {
      addPair(params, key, metaText(key, value));
    } else if (Array.isArray(value) && key.startsWith('meta[')) {
      // As a list in a meta object: meta[Title] must be text.
      scalar(key, value);
    } else if (Array.isArray(value)) {
      countKey(params, key);
      const items = value.flatMap((v) => listItems(key, scalar(key, v)));
      params.lists.set(key, items);
    } else if (isObject(value)) {
      addNested(params, key, value, 1);
    } else if (value !== undefined && value !== null) {
      addPair(params, key, value);
    }
  }
}

/**
 * A JSON meta value: `null` clears the field as a blank value does
 * (SPEC §2), which is what a JSON client sends for "no value".
 */
function metaText(key: string, value: unknown): string {
  return value === null ? '' : scalar(key, value);
}

// A surrogate half without its other half: no UTF-8 or UTF-16 tag can
// hold it (ffmpeg writes U+FFFD instead).
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// U+FEFF at either end is taken for a byte order mark (or whitespace) by
// tag writers and readers, and dropped from the file.
const EDGE_BOM = /^\uFEFF|\uFEFF$/;

/**
 * Refuses a meta value the files' tags could not hold as it is, so that
 * `getById` and the tags of every rendition agree.
 */
function refuseUntaggable(field: string, value: string) {
  const name = `meta[${field.slice(0, 100)}]`;
  const problem = LONE_SURROGATE.test(value)
    ? 'holds ill-formed Unicode (an unpaired surrogate)'
    : EDGE_BOM.test(value)
      ? 'starts or ends with U+FEFF (a byte order mark)'
      : null;
  if (!problem) return;
  throw new ApiError(
    'invalid_parameter',
    `${name} ${problem}, which tags cannot carry`,
    { parameters: [name] },
  );
}

/** Deeper JSON objects than this are refused. */
const MAX_NESTING = 8;

/**
 * A JSON object of a parameter other than meta, read as the bracket keys
 * a query string or form would send (`name[key]=…`, PHP's reading), so
 * that the encodings mean the same: an unknown parameter stays allowed
 * either way, a known one is judged by its schema either way.
 */
function addNested(
  params: Params,
  key: string,
  value: Record<string, unknown>,
  depth: number,
) {
  if (depth > MAX_NESTING) {
    throw new ApiError(
      'invalid_parameter',
      `${key.slice(0, 100)} is nested too deeply`,
      { parameters: [key.slice(0, 100)] },
    );
  }
  for (const [sub, item] of Object.entries(value)) {
    const name = `${key}[${sub}]`;
    const items = Array.isArray(item) ? item : [item];
    items.forEach((one, index) => {
      const itemName = Array.isArray(item) ? `${name}[${index}]` : name;
      if (isObject(one)) addNested(params, itemName, one, depth + 1);
      else if (one !== undefined && one !== null) addPair(params, itemName, one);
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function setMeta(params: Params, field: string, value: string) {
  params.hasMeta = true;
  if (Buffer.byteLength(value) > PARAM_LIMITS.metaValueBytes) {
    const name = `meta[${field.trim().slice(0, 100)}]`;
    throw new ApiError(
      'invalid_parameter',
      `${name} is longer than ${PARAM_LIMITS.metaValueBytes} bytes`,
      { parameters: [name] },
    );
  }
  const control = CONTROL.exec(value);
  if (control) {
    // ffmpeg takes tags as C strings (a NUL would cut the value there)
    // and tag readers show other controls as garbage: the files' tags
    // would disagree with the track's meta. Tab and line breaks stay.
    const name = `meta[${field.slice(0, 100)}]`;
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new ApiError(
      'invalid_parameter',
      `${name} holds the control character U+${code.toUpperCase()}, ` +
        'which tags cannot carry',
      { parameters: [name] },
    );
  }
  refuseUntaggable(field, value);
  const known = Object.hasOwn(params.meta, field.trim());
  if (known && params.meta[field.trim()] !== value) {
    // As with any parameter: which of two values was meant is a guess.
    const name = `meta[${field.trim().slice(0, 100)}]`;
    throw new ApiError(
      'invalid_parameter',
      `${name} is given twice with different values`,
      { parameters: [name] },
    );
  }
  if (!known && Object.keys(params.meta).length >= PARAM_LIMITS.metaKeys) {
    throw new ApiError(
      'invalid_parameter',
      `meta has more than ${PARAM_LIMITS.metaKeys} fields`,
      { parameters: ['meta'] },
    );
  }
  // Defined, not assigned: a field named __proto__ becomes a field like
  // any other (and is refused as unknown), not a silent prototype change.
  Object.defineProperty(params.meta, field.trim(), {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function countKey(params: Params, name: string) {
  if (params.values.size + params.lists.size >= PARAM_LIMITS.keys) {
    // All of them together are at fault, so none is named.
    throw new ApiError('invalid_parameter', 'too many parameters', {
      parameters: [],
    });
  }
  if (name === '__proto__') {
    throw new ApiError('invalid_parameter', `bad parameter name: ${name}`, {
      parameters: [name],
    });
  }
}

function scalar(key: string, value: unknown): string {
  const parameters = [key.slice(0, 100)];
  if (typeof value === 'string') {
    if (Buffer.byteLength(value) > PARAM_LIMITS.valueBytes) {
      throw new ApiError('invalid_parameter', `${parameters[0]} is too long`, {
        parameters,
      });
    }
    return value;
  }
  if (typeof value === 'number' && META_KEY.test(key)) {
    refuseInexact(parameters[0], value);
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    // Digits, as a query string sends them: String(1e300) is "1e+300".
    return BigInt(value).toString();
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new ApiError('invalid_parameter', `${parameters[0]} must be text`, {
    parameters,
  });
}

/**
 * A meta value is kept as text, so a JSON number that did not survive
 * parsing (past 2^53, or past the largest double: 1e400 is Infinity)
 * would be stored as other digits than the client sent, silently.
 */
function refuseInexact(name: string, value: number) {
  if (Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) {
    return;
  }
  throw new ApiError(
    'invalid_parameter',
    `${name} is a JSON number too large to be read exactly; ` +
      'send it as a string',
    { parameters: [name] },
  );
}

// Readers of one parameter, each with a clear error.

export function text(params: Params, name: string): string | undefined {
  const value = params.values.get(name)?.trim();
  return value ? value : undefined;
}

/**
 * An id as decimal text: at most 15 significant digits (999…9 is still
 * exact as a double). Leading zeros are taken (`007` is 7), as PHP's
 * `(int)` and every form reader take them.
 */
export const ID_TEXT = /^0*[1-9][0-9]{0,14}$/;

/** A positive integer id, or undefined when absent. */
export function id(params: Params, name: string): number | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  if (!ID_TEXT.test(value)) {
    throw new ApiError(
      'invalid_parameter',
      `${name} must be a positive integer`,
      { parameters: [name] },
    );
  }
  return Number(value);
}

export function requireId(params: Params, name: string): number {
  const value = id(params, name);
  if (value === undefined) {
    throw new ApiError('invalid_parameter', `${name} is required`, {
      parameters: [name],
    });
  }
  return value;
}

export function flag(params: Params, name: string): boolean {
  const value = text(params, name)?.toLowerCase();
  return value === '1' || value === 'true' || value === 'yes' || value === 'on';
}

/** A list given as `a,b`, as `name[]=a&name[]=b`, or as a JSON array. */
export function list(params: Params, name: string): string[] | undefined {
  const listed = params.lists.get(name);
  // A blank text counts as absent, as every blank value does.
  if (listed && text(params, name) !== undefined) {
    throw new ApiError(
      'invalid_parameter',
      `${name} is given both as ${name}[] and as text; send one of them`,
      { parameters: [name] },
    );
  }
  const items = listed ?? text(params, name)?.split(',');
  if (!items) return undefined;
  return items.map((item) => item.trim().toLowerCase()).filter(Boolean);
}
