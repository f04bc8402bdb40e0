import path from 'node:path';

/**
 * Control characters (C0 and C1), line and paragraph separators, and the
 * marks that reorder text (they can make `evil<RLO>3pm.exe` look like an
 * mp3): none has a place in a name shown to people.
 */
export const UNSHOWN =
  /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Lone surrogates (which UTF-8 cannot hold) become U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

/** Longest name kept, in characters (code points, never half of one). */
const MAX_NAME_CHARS = 255;

/**
 * Longest extension a cut keeps, in characters with its dot. A longer
 * one (`a.<10 000 x>`) names no format, so such a name is cut plainly.
 */
const MAX_KEPT_EXTENSION_CHARS = 16;

/**
 * Longest stem left by a cut that keeps the extension. It is the same
 * whatever the extension, so `<long>.wav` and `<long>.flac` keep one
 * stem and the second still attaches to the first as its flac source.
 */
const CUT_STEM_CHARS = MAX_NAME_CHARS - MAX_KEPT_EXTENSION_CHARS;

/**
 * The file name a client gave, as plain text for the `Filename` field
 * and for matching secondary sources. It never becomes a storage path.
 * Accents are kept composed (NFC), before any cut: macOS writes `é` as
 * `e` and a combining mark, and a long name cut in that form kept
 * another stem than the same name composed (they did not pair), and
 * could part a letter from its mark.
 */
export function displayName(raw: string): string {
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  // A tab parts words as a blank does; other controls go.
  const shown = wellFormed(base).normalize('NFC').replace(/\t/g, ' ');
  return cutName(shown.replace(UNSHOWN, ''));
}

/**
 * At most MAX_NAME_CHARS characters. A cut is taken from the stem, so a
 * long `aaa….wav` stays a `.wav`: its extension is what matches it to
 * its secondary sources and what people read the file's format from.
 */
function cutName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_NAME_CHARS) return name;

  const extension = path.extname(name);
  // `Op. 27 No. 2` has no extension `. 2`.
  const named =
    extension !== '' &&
    Array.from(extension).length <= MAX_KEPT_EXTENSION_CHARS &&
    !/\s/u.test(extension);
  if (!named) return chars.slice(0, MAX_NAME_CHARS).join('');
  return chars.slice(0, CUT_STEM_CHARS).join('') + extension;
}

/** The last path segment of a URL, decoded where possible. */
export function nameFromUrl(url: string): string {
  const pathname = new URL(url).pathname;
  const last = pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return displayName(decodeURIComponent(last));
  } catch {
    return displayName(last);
  }
}

/**
 * The name without its extension, lower-cased, for source matching: its
 * first CUT_STEM_CHARS characters, as a cut keeps them. A name kept
 * whole can hold more (`<251 chars>.wav` is 255) while the same stem
 * with a longer extension is cut (`<251 chars>.flac`): both match.
 */
export function matchStemOf(name: string): string {
  const ext = path.extname(name);
  // One name however its accents are written: `ó` as one code point, or
  // `o` and a combining accent (NFD), as macOS names files.
  const stem = (ext ? name.slice(0, -ext.length) : name).normalize('NFC');
  return Array.from(stem).slice(0, CUT_STEM_CHARS).join('').toLowerCase();
}
