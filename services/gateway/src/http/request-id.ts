/**
 * The most characters of a request id a client or producer may choose:
 * room for UUIDs, ULIDs and trace ids with a prefix, while the id goes
 * into every log line of its call and into queue job data.
 */
export const REQUEST_ID_MAX_CHARS = 200;

// Visible ASCII only: Node reads header bytes as Latin-1, so a UTF-8 id
// would come back mangled, and controls show in a log as garbage.
const VISIBLE_ASCII = /^[\x21-\x7E]+$/;

/** The id as given when it is usable as one; else undefined. */
export function usableRequestId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length > REQUEST_ID_MAX_CHARS) return undefined;
  return VISIBLE_ASCII.test(value) ? value : undefined;
}
