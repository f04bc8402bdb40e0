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

/**
 * The accepted name a refused one most likely meant: the same name in
 * another case (`title`: names are matched exactly), or a custom field
 * named without its `Custom: ` prefix. Undefined when none is close.
 */
export function fieldMeant(
  name: string,
  customFields: string[],
): string | undefined {
  const wanted = name.trim().toLowerCase();
  const custom = customFields.map((field) => CUSTOM_PREFIX + field);
  const same = (field: string) => field.toLowerCase() === wanted;
  return (
    [...STANDARD_FIELDS, ...custom].find(same) ??
    custom.find((field) => same(field.slice(CUSTOM_PREFIX.length)))
  );
}

/**
 * The refused names as a person reads them, each with the name it most
 * likely meant: `title (did you mean Title?)`.
 */
export function describeUnknownFields(
  unknown: string[],
  customFields: string[],
): string {
  return unknown
    .map((name) => {
      const meant = fieldMeant(name, customFields);
      return meant ? `${name} (did you mean ${meant}?)` : name;
    })
    .join(', ');
}
