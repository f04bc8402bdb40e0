import path from 'node:path';

/**
 * The file name a client gave, as plain text for the `Filename` field
 * and for matching secondary sources. It never becomes a storage path.
 */
export function displayName(raw: string): string {
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  // Control characters have no place in a name shown to people.
  return base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
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
