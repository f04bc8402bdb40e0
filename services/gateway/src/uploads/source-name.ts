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
 * The file name a client gave, as plain text for the `Filename` field
 * and for matching secondary sources. It never becomes a storage path.
 */
export function displayName(raw: string): string {
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  const shown = wellFormed(base).replace(UNSHOWN, '');
  return Array.from(shown).slice(0, MAX_NAME_CHARS).join('');
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

/** The name without its extension, lower-cased, for source matching. */
export function stemOf(name: string): string {
  const ext = path.extname(name);
  return (ext ? name.slice(0, -ext.length) : name).toLowerCase();
}
