/**
 * A size in bytes: a whole number, or a number with a unit, decimal
 * (`kB`, `MB`, `GB`, `TB`) or binary (`KiB`, `MiB`, `GiB`, `TiB`), in any
 * case; `50GiB`, `2.5 GB`, `1048576`.
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const bytes = Math.round(Number(match[1]) * UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) throw new Error(`too large: ${text}`);
  return bytes;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
