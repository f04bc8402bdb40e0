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

/** A `{X}` or `{Y}` in a pattern: a whole number from 1 to 999. */
const PARTY_NUMBER = '[1-9][0-9]{0,2}';

/**
 * The field names a site accepts, as getAvailableFields lists them:
 * exact names, numbered patterns (`Writer {X} First Name`) and custom
 * fields with their prefix. The gateway refuses metadata by it and the
 * CLI checks names by it before uploading, so the two cannot disagree.
 */
export class Fieldset {
  private readonly exact: Set<string>;
  private readonly patterns: RegExp[];
  /** Names a refused one may have meant: exact names, then custom ones. */
  private readonly named: string[];

  constructor(fields: readonly string[], customFields: readonly string[]) {
    const isPattern = (field: string) => /\{[XY]\}/.test(field);
    this.named = [...fields.filter((f) => !isPattern(f)), ...customFields];
    this.exact = new Set(this.named);
    this.patterns = fields.filter(isPattern).map(patternRegExp);
  }

  /** True when `name` is a field the site accepts. */
  accepts(name: string): boolean {
    return this.exact.has(name) || this.patterns.some((re) => re.test(name));
  }

  /** The names the site does not accept, each once, in order. */
  unknown(names: Iterable<string>): string[] {
    return [...new Set(names)].filter((name) => !this.accepts(name));
  }

  /**
   * The accepted name a refused one most likely meant: the same name in
   * another case (`title`: names are matched exactly), or a custom field
   * named without its `Custom: ` prefix. Undefined when none is close.
   */
  meant(name: string): string | undefined {
    const wanted = name.trim().toLowerCase();
    const same = (field: string) => field.toLowerCase() === wanted;
    return (
      this.named.find(same) ??
      this.named.find(
        (field) =>
          field.startsWith(CUSTOM_PREFIX) &&
          same(field.slice(CUSTOM_PREFIX.length)),
      )
    );
  }

  /**
   * The refused names as a person reads them, each with the name it most
   * likely meant: `title (did you mean Title?)`.
   */
  describe(unknown: string[]): string {
    return unknown
      .map((name) => {
        const meant = this.meant(name);
        return meant ? `${name} (did you mean ${meant}?)` : name;
      })
      .join(', ');
  }
}

function patternRegExp(pattern: string): RegExp {
  const parts = pattern
    .split(/\{[XY]\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join(PARTY_NUMBER)}$`);
}

/**
 * The fieldset of a site with these custom fields (bare names, without
 * the prefix): what getAvailableFields answers.
 */
export function siteFieldset(customFields: readonly string[]): Fieldset {
  return new Fieldset(
    [...STANDARD_FIELDS, ...PARTY_FIELD_PATTERNS],
    customFields.map((name) => CUSTOM_PREFIX + name),
  );
}

/** True when `name` is a field the site accepts. */
export function isKnownField(name: string, customFields: string[]): boolean {
  return siteFieldset(customFields).accepts(name);
}

/** The names in `meta` that the site does not accept. */
export function unknownFields(
  meta: Record<string, string>,
  customFields: string[],
): string[] {
  return siteFieldset(customFields).unknown(Object.keys(meta));
}

/** {@link Fieldset.describe} for a site with these custom fields. */
export function describeUnknownFields(
  unknown: string[],
  customFields: string[],
): string {
  return siteFieldset(customFields).describe(unknown);
}
