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
  // An empty one too (`…/ingest?`): `search` and `hash` are '' for it, but
  // the base joined with `/` lost its path prefix all the same. A parsed
  // URL holds `?` or `#` nowhere else.
  if (/[?#]/.test(parsed.href)) return 'holds a query or fragment (? or #)';
  return undefined;
}

/**
 * The URL to show in a message: any password replaced by `***`. It ends
 * at the authority's last `@` (`http://ops:p@ss@host` has the password
 * `p@ss`); in what is not a URL at all, at the last `@` there is (a `/`
 * in a password, `http://ops:a/b@host`, makes it none).
 */
export function shownUrl(url: string): string {
  const userinfo = URL.canParse(url)
    ? /^([a-z][a-z0-9+.-]*:\/\/[^/?#\\@:]*:)[^/?#\\]*@/i
    : /^([a-z][a-z0-9+.-]*:\/\/[^/?#\\@:]*:).*@/i;
  return url.replace(userinfo, '$1***@');
}
