/**
 * The file name a download's `Content-Disposition` suggests (RFC 6266):
 * the exact `filename*` (RFC 8187) where it is given in UTF-8, else the
 * plain `filename`, which for a non-ASCII name is only a stand-in.
 */
export function filenameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /;\s*filename\*\s*=\s*UTF-8'[^']*'([^;\s]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // Not UTF-8 once decoded: the plain name then.
    }
  }
  const quoted = /;\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted) return quoted[1].replace(/\\(.)/g, '$1');
  return /;\s*filename\s*=\s*([^;\s]+)/i.exec(header)?.[1];
}
