/**
 * A size in bytes: a whole number, or a number with a unit, decimal
 * (`kB`, `MB`, `GB`, `TB`) or binary (`KiB`, `MiB`, `GiB`, `TiB`), in any
 * case; `50GiB`, `2.5 GB`, `1048576`. Past 2^53 - 1 bytes it throws a
 * RangeError saying so.
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const bytes = Math.round(Number(match[1]) * UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(
      `too large: expected a size of at most ${Number.MAX_SAFE_INTEGER} bytes (8 PiB less one)`,
    );
  }
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
