import { readFile } from 'node:fs/promises';
import { CliUsageError } from './exit-codes';

/**
 * The text of a CSV file. UTF-8 is expected, with or without a BOM;
 * UTF-16 (LE or BE) is decoded when a BOM says so, as spreadsheets save
 * "Unicode text". Anything else (Latin-1, Windows-1252, UTF-16 without a
 * BOM) is refused, naming the line and column of the first byte that is
 * not UTF-8: read as UTF-8 it would only turn into wrong metadata.
 */
export async function readCsvText(file: string): Promise<string> {
  const bytes = await readFile(file).catch(() => {
    throw new CliUsageError(`cannot read --meta-csv file: ${file}`);
  });
  if (startsWith(bytes, [0xff, 0xfe])) return decodeUtf16(file, bytes, 'le');
  if (startsWith(bytes, [0xfe, 0xff])) return decodeUtf16(file, bytes, 'be');
  refuseNul(file, bytes);
  try {
    // The BOM, if any, is left in: the CSV parser drops it.
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return decoder.decode(bytes);
  } catch {
    throw new CliUsageError(notUtf8(file, bytes));
  }
}

function startsWith(bytes: Buffer, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function decodeUtf16(file: string, bytes: Buffer, order: 'le' | 'be'): string {
  try {
    return new TextDecoder(`utf-16${order}`, { fatal: true }).decode(bytes);
  } catch {
    throw new CliUsageError(
      `${file}: not valid UTF-16 ${order.toUpperCase()} although it starts ` +
        'with that BOM (cut short, or unpaired surrogates); save it again as UTF-8',
    );
  }
}

/**
 * Where the first sequence that is not UTF-8 starts, found by feeding the
 * bytes one at a time to a strict decoder: it throws at the first byte
 * that cannot continue what came before, which began the bad sequence
 * unless a lead byte still waits for its continuation bytes.
 */
function notUtf8(file: string, bytes: Buffer): string {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = 1;
  let lineStart = 0;
  let pending = -1;
  let bad = bytes.length;
  try {
    for (let at = 0; at < bytes.length; at++) {
      bad = pending >= 0 ? pending : at;
      const text = decoder.decode(bytes.subarray(at, at + 1), { stream: true });
      pending = text === '' ? bad : -1;
      if (bytes[at] === 0x0a) {
        line++;
        lineStart = at + 1;
      }
    }
    bad = pending;
    decoder.decode();
  } catch {
    // bad is where the sequence that failed began
  }
  const column = [...bytes.subarray(lineStart, bad).toString('utf8')].length + 1;
  return (
    `${file}: line ${line}, character ${column}: not UTF-8 ` +
    `(byte 0x${bytes[bad].toString(16).toUpperCase().padStart(2, '0')}); ` +
    'save the file as UTF-8 (UTF-16 with a BOM is read too)'
  );
}

/**
 * UTF-16 without a BOM can pass for UTF-8 (its zero bytes are valid),
 * but a CSV never holds NUL characters: refuse it rather than send them.
 */
function refuseNul(file: string, bytes: Buffer): void {
  const at = bytes.indexOf(0);
  if (at < 0) return;
  const lines = bytes.subarray(0, at).toString('utf8').split('\n');
  throw new CliUsageError(
    `${file}: line ${lines.length}, character ${[...lines.at(-1)!].length + 1}: ` +
      'NUL character (UTF-16 without a BOM?); save the file as UTF-8',
  );
}
