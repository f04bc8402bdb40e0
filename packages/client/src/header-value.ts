/**
 * Whether fetch can send `text` as a header value: no control character
 * (a token file saved with CRLF ends in one) and nothing beyond Latin-1.
 */
export function headerSafe(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x1f\x7f]|[^\x00-\xff]/.test(text);
}
