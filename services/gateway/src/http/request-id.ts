/**
 * The most characters of a request id a client or producer may choose:
 * room for UUIDs, ULIDs and trace ids with a prefix, while the id goes
 * into every log line of its call and into queue job data.
 */
export const REQUEST_ID_MAX_CHARS = 200;

// C0 controls and DEL: a log reader would show them as garbage.
const CONTROL = /[\x00-\x1F\x7F]/;

/** The id as given when it is usable as one; else undefined. */
export function usableRequestId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > REQUEST_ID_MAX_CHARS) {
    return undefined;
  }
  return CONTROL.test(value) ? undefined : value;
}
