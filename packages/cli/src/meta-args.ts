import type { AvailableFields, Meta } from '@ingest/client';
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
 * command before any upload rather than failing every one of them.
 */
export function checkFieldNames(
  names: Iterable<string>,
  available: AvailableFields,
): void {
  const exact = new Set([...available.fields, ...available.custom_fields]);
  const patterns = available.fields
    .filter((f) => f.includes('{'))
    .map(
      (f) =>
        new RegExp(
          `^${escapeRegExp(f).replace(/\\\{[XY]\\\}/g, '[1-9][0-9]*')}$`,
        ),
    );
  const unknown = [...new Set(names)].filter(
    (name) => !exact.has(name) && !patterns.some((re) => re.test(name)),
  );
  if (unknown.length > 0) {
    throw new CliUsageError(
      `unknown metadata fields: ${unknown.join(', ')} ` +
        '(see getAvailableFields; custom fields start with "Custom: ")',
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
