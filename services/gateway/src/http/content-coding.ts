/**
 * The `Content-Encoding` of a message, unless it is none or identity.
 * Such a body is refused, not decoded, whether a source server or a
 * client sends it: audio containers gain nothing from gzip or br, and a
 * small compressed body can inflate past any byte cap checked on what
 * arrived (a decompression bomb).
 */
export function contentEncodingOf(
  header: string | string[] | undefined,
): string | undefined {
  const codings = [header ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  return codings.length > 0 ? codings.join(', ') : undefined;
}
