import { parse } from 'content-disposition';

/**
 * The file name a download's `Content-Disposition` suggests (RFC 6266):
 * the exact `filename*` (RFC 8187) where it is given, else the plain
 * `filename`, which for a non-ASCII name is only a stand-in. Express's
 * `content-disposition`, which writes the gateway's header, reads it.
 */
export function filenameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  try {
    return parse(header).parameters.filename || undefined;
  } catch {
    return undefined;
  }
}
