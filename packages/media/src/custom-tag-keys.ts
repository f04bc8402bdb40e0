/**
 * Tag names for the fields a container has no place of its own for
 * (`Custom: Код`, `Writer 1 First Name`, `Keywords`…), and back.
 *
 * ID3 TXXX descriptions hold any Unicode text, but ffmpeg takes a tag as
 * `-metadata key=value` and cuts the key at the first `=`. Vorbis comment
 * names are ASCII 0x20–0x7D without `=`. So the name is written as it is
 * except for percent escapes (%XX per UTF-8 byte): in ID3, `%`, `=` and
 * control characters; in Vorbis, every byte outside 0x20–0x7D and `%`,
 * `=`. `Custom: Ext=ID` is TXXX `Custom: Ext%3DID`, `Custom: Код` is
 * Vorbis `Custom: %D0%9A%D0%BE%D0%B4`. Every name maps to its own key
 * and `fieldOfTagKey` gives the name back.
 *
 * ffmpeg (for all tags) and Vorbis readers compare names without regard
 * to ASCII case, so of names differing only so (`Custom: ISRC Code`,
 * `Custom: ISRC code`) the first in code-point order keeps its plain key
 * and each other one has its ASCII letters escaped too.
 */

export type CustomKeyStyle = 'id3' | 'vorbis';

const CUSTOM_PREFIX = 'Custom: ';

const ESCAPED: Record<CustomKeyStyle, RegExp> = {
  id3: /[%=\u0000-\u001f\u007f]/gu,
  vorbis: /[^\u0020-\u0024\u0026-\u003c\u003e-\u007d]/gu,
};

/** A key that escapes `pattern`'s characters as %XX of their UTF-8. */
function escapeMatching(name: string, pattern: RegExp): string {
  return name.replace(pattern, (char) =>
    [...Buffer.from(char, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/** The tag key of one field name in this style, before any clash. */
export function tagKeyOf(style: CustomKeyStyle, field: string): string {
  return escapeMatching(field, ESCAPED[style]);
}

/** ffmpeg's and Vorbis's notion of "the same name": ASCII case folded. */
function folded(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Keys for several field names at once, distinct even to a reader that
 * ignores ASCII case (see above).
 */
export function tagKeysOf(
  style: CustomKeyStyle,
  fields: string[],
): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const field of fields) {
    const key = folded(tagKeyOf(style, field));
    groups.set(key, [...(groups.get(key) ?? []), field]);
  }

  const keys = new Map<string, string>();
  for (const names of groups.values()) {
    const [first, ...others] = [...names].sort();
    keys.set(first, tagKeyOf(style, first));
    for (const other of others) keys.set(other, caseProofKey(style, other));
  }
  return keys;
}


/** The key with the name's ASCII letters escaped too (not the prefix). */
function caseProofKey(style: CustomKeyStyle, field: string): string {
  const prefix = field.startsWith(CUSTOM_PREFIX) ? CUSTOM_PREFIX : '';
  const pattern = new RegExp(`${ESCAPED[style].source}|[A-Za-z]`, 'gu');
  return prefix + escapeMatching(field.slice(prefix.length), pattern);
}

/**
 * The field name a tag key stands for: percent escapes of whole UTF-8
 * sequences decoded, anything else left as it is (a `%` not followed by
 * two hex digits, as another tagger may write it).
 */
export function fieldOfTagKey(key: string): string {
  return key.replace(/(?:%[0-9A-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    const text = bytes.toString('utf8');
    return Buffer.from(text, 'utf8').equals(bytes) ? text : run;
  });
}

/**
 * The site's custom fields among the free-form tags of a file (by name,
 * escapes decoded), as `Custom: <name>` → value. A tag is a field's when
 * its name is `Custom: <name>` exactly (the prefix in any case), or but
 * for ASCII case (Vorbis and APE names come upper-cased) when that fits
 * one field only: of two fields differing only in case, the one whose
 * name was not escaped may not be told from the other once upper-cased,
 * and is then not read.
 */
export function customFieldsIn(
  freeForm: ReadonlyMap<string, string>,
  customFields: readonly string[],
): Record<string, string> {
  const fields = customFields.map((name) => CUSTOM_PREFIX + name);
  const found: Record<string, string> = {};
  const rest = new Map<string, string>();
  for (const [name, value] of freeForm) {
    // An escaped name keeps its case even where the prefix lost it.
    const prefix = name.slice(0, CUSTOM_PREFIX.length);
    const exact = CUSTOM_PREFIX + name.slice(CUSTOM_PREFIX.length);
    if (folded(prefix) === folded(CUSTOM_PREFIX) && fields.includes(exact)) {
      found[exact] ??= value;
    } else {
      rest.set(name, value);
    }
  }

  for (const [name, value] of rest) {
    const fits = fields.filter(
      (field) => !(field in found) && folded(field) === folded(name),
    );
    if (fits.length === 1) found[fits[0]] = value;
  }
  return found;
}
