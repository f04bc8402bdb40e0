import { TextDecoder } from 'node:util';
import { basename } from 'busboy/lib/utils.js';
import { ApiError } from '@ingest/core';
import { decoderOf, notText } from './form-text';
import type { SentPart } from './multipart-parts';

/**
 * The text of a multipart form's fields, read strictly. A field is read
 * in the charset its part names (`Content-Type: text/plain;
 * charset=ISO-8859-1`), else in the one the form names in a `_charset_`
 * field (what an HTML form with such a hidden field sends), else as
 * UTF-8; bytes that are not text of that charset are refused naming the
 * field, where busboy stored U+FFFD. The fields are held until the file
 * part (its handler reads those before it) or the form's end, so a
 * `_charset_` anywhere before the file counts for all of them.
 */
export class FieldTexts {
  private held: SentPart[] | undefined = [];
  private formCharset = 'utf-8';
  private charsetNamed = false;

  constructor(private readonly add: (name: string, value: string) => void) {}

  /** A field busboy read whole; may throw what its text is refused for. */
  take(part: SentPart): void {
    if (part.rawName === '_charset_') {
      const named = part.bytes.toString('latin1').trim().toLowerCase();
      if (named) {
        refuseUtf16(named);
        this.formCharset = named;
        this.charsetNamed = true;
      }
    }
    if (this.held) this.held.push(part);
    else this.read(part);
  }

  /** Reads the fields held; later ones are read as they come. */
  flush(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const part of held) this.read(part);
  }

  /**
   * The file part's plain `filename` (as busboy keeps it: its last path
   * segment), read in the charset the form names in a `_charset_` field
   * before the file (browsers write a file name in the page's charset, as
   * they write the fields), else as UTF-8, and when its bytes are not
   * UTF-8 as windows-1252 (what a Latin-1 page without `_charset_` sends:
   * a garbled name is better than a refused upload). Bytes that are not
   * text of a charset the form named are refused, where busboy stored
   * U+FFFD. The part's own
   * Content-Type tells how its bytes are written, not its header, so its
   * charset is not used. The escapes a form encoder writes for `"`, CR
   * and LF are read back (formEscapesRead). None when a `filename*` (which
   * names its own charset and escapes) or no file name was sent: busboy's
   * reading stands.
   */
  fileName(part: SentPart): string | undefined {
    if (part.rawFileName === undefined) return undefined;
    const bytes = Buffer.from(part.rawFileName, 'latin1');
    const named = (charset: string) =>
      basename(formEscapesRead(decoderOf(charset).decode(bytes)));
    try {
      return named(this.formCharset);
    } catch {
      if (!this.charsetNamed) return named('windows-1252');
      throw new ApiError(
        'invalid_parameter',
        `the file part's file name is not ${this.formCharset} text: send it as ` +
          'UTF-8 or name its charset in a _charset_ field before the file part',
        { parameters: ['file'] },
      );
    }
  }

  private read(part: SentPart): void {
    if (part.rawName === undefined) {
      throw new ApiError('invalid_parameter', 'a multipart field has no name', {
        parameters: [],
      });
    }
    const charset = part.charset ?? this.formCharset;
    const decoder = decoderOf(charset);
    const how = "or name its charset (the part's Content-Type, or a _charset_ field)";
    let name: string;
    let value: string;
    try {
      // A form encoder escapes a field's name as it does a file name.
      name = formEscapesRead(decoder.decode(Buffer.from(part.rawName, 'latin1')));
    } catch {
      throw notText(part.name ?? '', charset, how);
    }
    try {
      value = decoder.decode(part.bytes);
    } catch {
      throw notText(name, charset, how);
    }
    this.add(name, value);
  }
}

/**
 * A quoted part-head value (a field's name, a file name) with the
 * escapes of the HTML standard's multipart/form-data encoding read
 * back: browsers, fetch's FormData
 * and curl (since 7.81) send `"` as `%22`, CR as `%0D` and LF as `%0A`
 * (a quoted value cannot hold them), and leave every other character,
 * `%` included, as it is. So exactly these three are read, as the
 * standard's own parser does: `100%.wav` and `%41.wav` stay. A name that
 * held `%22` itself reads as `"`: its sender wrote it as the escape.
 */
export function formEscapesRead(value: string): string {
  return value.replace(/%(?:22|0[ad])/gi, (escape) =>
    String.fromCharCode(Number.parseInt(escape.slice(1), 16)),
  );
}

/**
 * The refusal of a form charset that is UTF-16: the form's names and
 * file name are in its part heads, which are ASCII text (an even-length
 * `ab.mp3` read as UTF-16 was stored as three CJK characters). Browsers
 * never submit a form in UTF-16 (WHATWG: UTF-8 instead).
 */
function refuseUtf16(charset: string): void {
  let encoding = '';
  try {
    encoding = new TextDecoder(charset).encoding;
  } catch {
    return; // Unknown: refused as such where it is read.
  }
  if (!encoding.startsWith('utf-16')) return;
  throw new ApiError(
    'unsupported_media_type',
    `_charset_ ${charset.slice(0, 40)} is not one a multipart form is written in ` +
      '(its part heads are ASCII): send the form as UTF-8',
  );
}
