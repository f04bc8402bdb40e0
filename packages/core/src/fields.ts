/**
 * The standard metadata fieldset (SPEC §2). Numbered interested-party
 * fields are patterns: `{X}` and `{Y}` stand for positive integers.
 */
export const STANDARD_FIELDS = [
  'Title',
  'Artist',
  'Album',
  'Composer',
  'Catalog',
  'Label',
  'Publisher',
  'Genre',
  'Mood',
  'BPM',
  'ISRC',
  'ISWC',
  'Track Number',
  'Release Date',
  'Description',
  'Lyrics',
  'Filename',
  'Keywords',
  'Instruments',
  'Tempo',
  'Duration',
  'Version',
  'Copyright',
] as const;

export const PARTY_FIELD_PATTERNS = [
  'Writer {X} First Name',
  'Writer {X} Middle Name',
  'Writer {X} Last Name',
  'Writer {X} PRO',
  'Writer {X} IPI',
  'Writer {X} Capacity',
  'Writer {X} Share Percentage',
  'Publisher {X} Name',
  'Publisher {X} PRO',
  'Publisher {X} IPI',
  'Publisher {X} Share Percentage',
  'Publisher {X} Collection Share Percentage {Y}',
  'Publisher {X} Collection Territory {Y}',
] as const;

export const CUSTOM_PREFIX = 'Custom: ';

const PARTY_REGEXES = PARTY_FIELD_PATTERNS.map(
  (p) =>
    new RegExp(
      '^' + p.replace('{X}', '[1-9][0-9]{0,2}').replace('{Y}', '[1-9][0-9]{0,2}') + '$',
    ),
);

const STANDARD_SET = new Set<string>(STANDARD_FIELDS);

/** True when `name` is a field the site accepts. */
export function isKnownField(name: string, customFields: string[]): boolean {
  if (STANDARD_SET.has(name)) return true;
  if (name.startsWith(CUSTOM_PREFIX)) {
    return customFields.includes(name.slice(CUSTOM_PREFIX.length));
  }
  return PARTY_REGEXES.some((re) => re.test(name));
}

/** The names in `meta` that the site does not accept. */
export function unknownFields(
  meta: Record<string, string>,
  customFields: string[],
): string[] {
  return Object.keys(meta).filter((k) => !isKnownField(k, customFields));
}
