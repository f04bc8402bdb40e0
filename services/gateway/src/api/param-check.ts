import type * as z from 'zod';
import { ApiError } from '@ingest/core';
import type { Params } from '../http/params';
import { badFormats, echoed, sentFormats } from './param-schemas';

/** A schema of an endpoint's parameters (api/param-schemas.ts). */
export type ParamSchema = z.ZodType<Record<string, unknown>>;

/** `name[…]` keys, as PHP reads them: parameter `name` as an object. */
const OBJECT_KEY = /^([^[\]]+)\[.*\]$/s;

/**
 * The parameters as one plain object, as a schema sees them: values
 * (trimmed; blank ones count as absent, as the readers in params.ts
 * take them), then lists, then `meta` when any meta key was sent. A
 * `name[key]=…` value (or a JSON object, which comes as those) makes
 * `name` an object, so a known parameter sent so is refused by its
 * schema whatever the encoding, and an unknown one stays allowed.
 */
export function flattenParams(params: Params): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const objects = new Map<string, Record<string, string>>();
  for (const [name, value] of params.values) {
    const trimmed = value.trim();
    if (trimmed === '') continue;
    const base = OBJECT_KEY.exec(name)?.[1];
    if (base === undefined) {
      flat[name] = trimmed;
      continue;
    }
    const object = objects.get(base) ?? {};
    object[name.slice(base.length)] = trimmed;
    objects.set(base, object);
  }
  for (const [name, items] of params.lists) flat[name] = items;
  for (const [name, object] of objects) flat[name] = object;
  if (params.hasMeta) flat.meta = params.meta;
  return flat;
}

/** Parameters whose bad values answer `invalid_format`, as before. */
const FORMAT_PARAMS = new Set(['formats', 'format']);

/**
 * Checks the parameters against the endpoint's schema; a refusal names
 * every bad parameter: "upload_id must be a positive integer".
 */
export function checkParams(schema: ParamSchema, params: Params): void {
  const flat = flattenParams(params);
  const result = schema.safeParse(flat);
  if (result.success) return;

  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = nameOf(issue.path);
    if (!problems.has(name)) problems.set(name, `${name} ${issue.message}`);
  }
  const names = [...problems.keys()];
  const message = [...problems.values()].join('; ');

  // A missing one is a missing parameter, as anywhere else: there is no
  // value to call a bad format.
  const badValues = names.every(
    (name) => FORMAT_PARAMS.has(name) && flat[name] !== undefined,
  );
  if (badValues) {
    // The unknown names; for a list where one format belongs, what came.
    const formats = echoed(
      names.flatMap((name) => {
        const bad = badFormats(flat[name]);
        return bad.length > 0 ? bad : sentFormats(flat[name]);
      }),
    );
    throw new ApiError('invalid_format', message, { formats });
  }
  throw new ApiError('invalid_parameter', message, { parameters: names });
}

/** `meta[Title]` for a meta field, else the parameter's own name. */
function nameOf(path: readonly PropertyKey[]): string {
  const [root, field] = path;
  if (root === undefined) return 'parameters';
  if (root === 'meta' && typeof field === 'string') {
    return `meta[${field}]`;
  }
  return String(root);
}
