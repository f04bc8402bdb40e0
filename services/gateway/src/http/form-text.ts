import { TextDecoder } from 'node:util';
import { ApiError } from '@ingest/core';

/**
 * Query strings and urlencoded bodies, decoded strictly. URLSearchParams
 * turns bytes that are not UTF-8 into U+FFFD, so a client sending Latin-1
 * (`meta[Title]=Caf%E9`, as PHP does with ISO-8859-1 strings) would have
 * `Caf\uFFFD` stored, written into the files' tags, and a success. Here
 * such a value is refused naming its parameter, and a body that names
 * its charset (`; charset=ISO-8859-1`) is read in that charset.
 * Otherwise this reads as WHATWG's urlencoded parser does: pairs split on
 * `&`, `+` is a space, a `%` not followed by two hex digits is kept.
 */

const HEX = /^[0-9A-Fa-f]{2}$/;

/** The charset a Content-Type names, lower-cased; utf-8 when none. */
export function charsetOf(contentType: string | undefined): string {
  return namedCharset(contentType) ?? 'utf-8';
}

/** The charset a Content-Type names, lower-cased, if it names one. */
export function namedCharset(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1].toLowerCase();
}

/** Reads bytes as text, throwing on bytes that are not text. */
export interface TextReader {
  decode(bytes: Uint8Array): string;
}

/**
 * windows-1252's 0x80-0x9F, as WHATWG maps them (iso-8859-1, latin1 and
 * us-ascii are its labels too): Node 20's TextDecoder gives the C1
 * controls instead, so a Latin-1 browser form's curly quotes, dashes or
 * euro sign were refused as control characters.
 */
const WINDOWS_1252_HIGH =
  '\u20AC\x81\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\x8D\u017D\x8F' +
  '\x90\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\x9D\u017E\u0178';

const windows1252: TextReader = {
  decode: (bytes) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString('latin1')
      .replace(/[\x80-\x9F]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]),
};

/** A strict decoder of `charset`; 415 when the charset is unknown. */
export function decoderOf(charset: string): TextReader {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: true });
  } catch {
    throw new ApiError(
      'unsupported_media_type',
      `charset ${charset.slice(0, 40)} is not one the API reads: send UTF-8`,
    );
  }
  return decoder.encoding === 'windows-1252' ? windows1252 : decoder;
}

/**
 * The bytes a urlencoded piece stands for. `raw` holds one character per
 * byte as sent (a body read as latin1; a query string is ASCII).
 */
function pieceBytes(raw: string): Buffer {
  const bytes = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x2b) {
      bytes[length++] = 0x20;
    } else if (c === 0x25 && HEX.test(raw.slice(i + 1, i + 3))) {
      bytes[length++] = parseInt(raw.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      bytes[length++] = c & 0xff;
    }
  }
  return bytes.subarray(0, length);
}

/**
 * The `key=value` pairs of a query string (without its `?`) or of an
 * urlencoded body given as latin1 text, decoded in `charset`.
 */
export function formPairs(raw: string, charset = 'utf-8'): [string, string][] {
  const decoder = decoderOf(charset);
  const pairs: [string, string][] = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const at = piece.indexOf('=');
    const rawKey = at < 0 ? piece : piece.slice(0, at);
    const rawValue = at < 0 ? '' : piece.slice(at + 1);
    const keyBytes = pieceBytes(rawKey);
    let key: string;
    let value: string;
    try {
      key = decoder.decode(keyBytes);
      value = decoder.decode(pieceBytes(rawValue));
    } catch {
      throw notText(
        new TextDecoder(charset).decode(keyBytes),
        charset,
        '(percent-encoded), or name its charset in Content-Type',
      );
    }
    pairs.push([key, value]);
  }
  return pairs;
}

/**
 * The refusal of parameter `name` (as read loosely) whose bytes are not
 * `charset` text; `how` ends "send text as UTF-8 …".
 */
export function notText(name: string, charset: string, how: string): ApiError {
  const shown = name.slice(0, 100);
  return new ApiError(
    'invalid_parameter',
    `${shown} is not ${charset} text: send text as UTF-8 ${how}`,
    { parameters: [shown] },
  );
}

/** A JSON body's text: RFC 8259 has it UTF-8, so other bytes are refused. */
export function jsonText(body: Buffer): string {
  try {
    return decoderOf('utf-8').decode(body);
  } catch {
    throw new ApiError(
      'invalid_parameter',
      'JSON body is not UTF-8 text (RFC 8259): send it as UTF-8',
      { parameters: [] },
    );
  }
}
