/**
 * What is wrong with `parsed` as the gateway's base URL, or undefined.
 * Each call's path is joined to it, so a query or a fragment would drop
 * a proxy's path prefix (`https://host/ingest?x=1` sent calls to
 * `https://host/api/…`). A user name or password in it made every call
 * fail in fetch ("cannot be constructed from a URL that includes
 * credentials"), retried as if the gateway were away, with the
 * password in every message; the API takes the token only.
 */
export function baseUrlProblem(parsed: URL): string | undefined {
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'must be http(s)';
  }
  if (parsed.username || parsed.password) {
    return 'holds a user name or password; the token is the only credential';
  }
  if (parsed.search || parsed.hash) return 'holds a query or fragment (? or #)';
  return undefined;
}

/** The URL to show in a message: any password replaced by `***`. */
export function shownUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, '$1***@');
}
