import type { Meta } from './api-types';

/** Parameters of one call, by their wire names (SPEC §2). */
export type WireParams = Record<
  string,
  string | number | boolean | string[] | Meta | undefined
>;

/**
 * Refuses a number JSON cannot carry. `JSON.stringify` writes NaN and
 * Infinity as `null`, which the gateway reads as "not given": a
 * `publish({ jobId: Number(arg) })` with a typo published the site's
 * main job, and `checkJob(NaN)` answered for it.
 */
function sendable(key: string, value: WireParams[string]): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`${key} must be a finite number, not ${value}`);
  }
}

/** As a JSON body: `meta` stays an object, lists stay arrays. */
export function jsonBody(params: WireParams): string {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    sendable(key, value);
    if (value !== undefined) body[key] = value;
  }
  return JSON.stringify(body);
}

/**
 * As form or query pairs: `meta[Name]=value` for each field and lists
 * joined by commas, the way the gateway reads query strings and forms.
 */
export function formPairs(params: WireParams): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    sendable(key, value);
    if (value === undefined) continue;
    if (Array.isArray(value)) pairs.push([key, value.join(',')]);
    else if (typeof value === 'object') {
      for (const [field, text] of Object.entries(value)) {
        pairs.push([`meta[${field}]`, text]);
      }
    } else if (typeof value === 'boolean') {
      pairs.push([key, value ? '1' : '0']);
    } else pairs.push([key, String(value)]);
  }
  return pairs;
}

export function queryOf(params: WireParams): URLSearchParams {
  return new URLSearchParams(formPairs(params));
}
