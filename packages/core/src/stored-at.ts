/**
 * The `storedAt` of a new version of a rendition: now, but at least one
 * whole second later than `previous`, the version it replaces. HTTP dates
 * count whole seconds; this way a `Last-Modified` date names one version
 * of a track's file, even after two updates within one second, and may be
 * trusted as a strong validator (RFC 9110 §8.8.2.2) for `If-Range`.
 */
export function nextStoredAt(
  previous: string | undefined,
  now: Date = new Date(),
): string {
  const before = previous === undefined ? NaN : Date.parse(previous);
  if (!Number.isFinite(before)) return now.toISOString();
  const nextSecond = (Math.floor(before / 1000) + 1) * 1000;
  return new Date(Math.max(now.getTime(), nextSecond)).toISOString();
}
