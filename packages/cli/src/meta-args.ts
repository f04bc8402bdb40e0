import type { AvailableFields, Meta } from '@ingest/client';
import { Fieldset } from '@ingest/core';
import { CliUsageError } from './exit-codes';

/** `--meta "Title=X"` flags as one meta object; later flags win. */
export function parseMetaFlags(flags: string[]): Meta {
  const meta: Meta = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const field = at > 0 ? flag.slice(0, at).trim() : '';
    if (!field) {
      throw new CliUsageError(`--meta needs Field=Value, got: ${flag}`);
    }
    meta[field] = flag.slice(at + 1);
  }
  return meta;
}

/**
 * Checks field names against what the site accepts, so a typo stops the
 * command before any upload rather than failing every one of them. The
 * rule and the hint are the gateway's own (`@ingest/core`'s Fieldset).
 */
export function checkFieldNames(
  names: Iterable<string>,
  available: AvailableFields,
): void {
  const fieldset = new Fieldset(available.fields, available.custom_fields);
  const unknown = fieldset.unknown(names);
  if (unknown.length > 0) {
    throw new CliUsageError(
      `unknown metadata fields: ${fieldset.describe(unknown)}; ` +
        'see getAvailableFields (custom fields start with "Custom: ")',
    );
  }
}
