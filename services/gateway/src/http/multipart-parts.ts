import { parseContentType, parseDisposition } from 'busboy/lib/utils.js';
import { ApiError } from '@ingest/core';
import { namedCharset } from './form-text';
import { NeedleScan } from './needle-scan';
import { StrayBoundary } from './stray-boundary';

/**
 * One form-data part of a multipart body, as sent. busboy decodes a
 * field in the charset its part names (UTF-8 when none) and turns bytes
 * that are not that charset into U+FFFD; it tells neither the charset
 * nor the bytes. So the body is read here too, beside busboy, for what
 * its fields hold; busboy stays the judge of the form's shape.
 */
export interface SentPart {
  /** The part's name as busboy reads it (UTF-8, loosely). */
  name: string | undefined;
  /** The name's bytes, one character per byte. */
  rawName: string | undefined;
  /** A file part, as busboy tells one: a file name or octet-stream. */
  file: boolean;
  /** The charset its Content-Type names, lower-cased. */
  charset: string | undefined;
  /** A field's value as sent, cut one byte past the field cap. */
  bytes: Buffer;
  /**
   * A plain `filename` parameter's bytes, one character per byte (busboy
   * reads them as UTF-8); none when there is none or a `filename*` wins.
   */
  rawFileName?: string;
}

const NOTHING = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');
/** Past busboy's own cap on a part's header block (16 KiB). */
const MAX_HEAD_BYTES = 17 * 1024;

/** The boundary a multipart Content-Type names, if any, read as busboy reads it. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  return parseContentType(contentType ?? '')?.params.boundary;
}

/** RFC 2046's bchars, but the space (which an unquoted value cannot hold). */
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
/** An unquoted boundary parameter, to the next `;` or the end. */
const UNQUOTED_BOUNDARY = /(;[ \t]*boundary=)([^";\s]+)(?=[ \t]*(?:;|$))/i;

/**
 * The Content-Type to read a multipart body by. RFC 2046 lets a boundary
 * hold `=`, `?`, `:`, `(`… only quoted, and busboy reads no boundary in
 * `boundary====abc===`; Java clients (JavaMail's `----=_Part_…`) send
 * such boundaries unquoted all the same. Where busboy reads none, such a
 * value of boundary characters is quoted, as its sender meant it; any
 * other header is left as it came (and refused as it was).
 */
export function readableContentType(header: string | undefined): string | undefined {
  if (header === undefined || boundaryOf(header) !== undefined) return header;
  const match = UNQUOTED_BOUNDARY.exec(header);
  if (!match || !BCHARS.test(match[2])) return header;
  const quoted =
    header.slice(0, match.index) +
    `${match[1]}"${match[2]}"` +
    header.slice(match.index + match[0].length);
  return boundaryOf(quoted) === match[2] ? quoted : header;
}

/**
 * Reads the parts of a multipart body, in order, as it arrives: each
 * form-data part (those busboy reports, as a field or a file) is kept
 * from its head on until `next()` takes it; a field's bytes are there
 * once the part has ended.
 */
export class SentParts {
  private readonly search: NeedleScan;
  /** The search of a part's data, and of the preamble, for a stray boundary. */
  private readonly stray: StrayBoundary;
  private readonly parts: SentPart[] = [];
  /**
   * `close`: on the closing boundary's line, after its `--`; `epilogue`:
   * past that line; `end`: past what busboy reads.
   */
  private state: 'preamble' | 'head' | 'body' | 'close' | 'epilogue' | 'end' = 'preamble';
  private head: Buffer[] = [];
  private headBytes = 0;
  /** The head's last bytes, where its end may begin. */
  private headTail = NOTHING;
  private headStarted = false;
  /** Where the head's first CRLF is, once it came. */
  private lineEnd = -1;
  private part: SentPart | undefined;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    boundary: string,
    private readonly maxFieldBytes: number,
  ) {
    this.search = new NeedleScan(
      Buffer.from(`\r\n--${boundary}`),
      (bytes) => this.take(bytes),
      () => this.partEnded(),
    );
    this.stray = new StrayBoundary(boundary, lineBreaksNotCrlf);
    // As busboy does: a body may start with its first boundary.
    this.search.push(CRLF);
  }

  /** May throw the refusal of a part busboy would skip unread. */
  push(chunk: Buffer): void {
    this.search.push(chunk);
  }

  /** The next part busboy is to report, if it came. */
  next(): SentPart | undefined {
    return this.parts.shift();
  }

  private take(bytes: Buffer): void {
    if (this.state === 'preamble' || this.state === 'body') this.stray.push(bytes);
    if (this.state === 'head') {
      this.takeHead(bytes);
    } else if (this.state === 'close') {
      this.takeCloseLine(bytes);
    } else if (this.state === 'epilogue') {
      if (/[^ \t\r\n]/.test(bytes.toString('latin1'))) epilogueRefused();
    } else if (this.state === 'body' && this.part && !this.part.file) {
      const room = this.maxFieldBytes + 1 - this.size;
      if (room <= 0) return;
      // Copied: the scan hands out views of the request's chunks.
      const kept = Buffer.from(bytes.subarray(0, room));
      this.chunks.push(kept);
      this.size += kept.length;
    }
  }

  /**
   * A head's bytes, as they come. Only the new bytes (and the three
   * before them) are searched each time: a head trickled a byte at a
   * time costs no more than one sent whole.
   */
  private takeHead(bytes: Buffer): void {
    const from = Math.max(0, this.headBytes - (HEAD_END.length - 1));
    const recent = Buffer.concat([this.headTail, bytes]);
    this.head.push(Buffer.from(bytes));
    this.headBytes += bytes.length;
    this.headTail = Buffer.from(recent.subarray(-(HEAD_END.length - 1)));
    if (this.headBytes < 2) return;
    if (!this.headStarted) {
      this.headStarted = true;
      const head = Buffer.concat(this.head);
      if (head.subarray(0, 2).toString('latin1') === '--') {
        this.state = 'close';
        this.takeCloseLine(head.subarray(2));
        return;
      }
    }
    if (this.lineEnd < 0) {
      // The boundary line ends in CRLF. An LF first in `recent` is the
      // head's first byte; any other has the byte before it there.
      const at = recent.indexOf(LF);
      if (at === 0 || (at > 0 && recent[at - 1] !== CR)) lineBreaksNotCrlf();
      if (at > 0) this.lineEnd = from + at - 1;
      if (this.lineEnd > 0) boundaryLineGoesOn(Buffer.concat(this.head), this.lineEnd);
    }
    const at = this.lineEnd < 0 ? -1 : recent.indexOf(HEAD_END, Math.max(0, this.lineEnd - from));
    if (at < 0) {
      // Not a part busboy reads either: it refuses the body.
      if (this.headBytes > MAX_HEAD_BYTES) this.state = 'end';
      return;
    }
    const head = Buffer.concat(this.head);
    const [lineEnd, headEnd] = [this.lineEnd, from + at];
    if (hasBareLf(head.subarray(lineEnd + 2, headEnd))) lineBreaksNotCrlf();
    this.head = [];
    this.headBytes = 0;
    this.headTail = NOTHING;
    this.headStarted = false;
    this.lineEnd = -1;
    this.part = partOf(head.subarray(lineEnd + 2, Math.max(lineEnd + 2, headEnd)));
    // Kept now: busboy reports a file at its head, a field at its end
    // (by then its bytes are here: this reads each chunk first).
    this.parts.push(this.part);
    this.state = 'body';
    this.stray.reset();
    this.take(head.subarray(headEnd + HEAD_END.length));
  }

  /**
   * The closing boundary's line, after its `--`: blanks (RFC 2046's
   * transport padding) up to its CRLF. busboy ends the form at
   * `--boundary--` whatever follows on its line, so more there is the
   * boundary inside a part's data (a file cut short, later fields lost).
   */
  private takeCloseLine(bytes: Buffer): void {
    const text = bytes.toString('latin1');
    const end = text.indexOf('\n');
    if (/[^ \t\r]/.test(end < 0 ? text : text.slice(0, end))) boundaryInData();
    if (end < 0) return;
    this.state = 'epilogue';
    this.take(bytes.subarray(end + 1));
  }

  private partEnded(): void {
    // A head with no blank line before the next boundary: busboy reads
    // on into the next part's head, its value under the first part's
    // name (`token` taking the value sent as `meta[Title]`).
    if (this.state === 'head') {
      if (hasBareLf(Buffer.concat(this.head))) lineBreaksNotCrlf();
      throw new ApiError(
        'invalid_parameter',
        "a multipart part's header lines end with no blank line before the " +
          'next boundary, or the boundary occurs inside a part: pick a ' +
          'boundary that the data does not hold',
        { parameters: [] },
      );
    }
    // On the closing line, a match is its CRLF and the boundary again
    // right after it: the epilogue begins with the boundary.
    if (this.state === 'epilogue' || this.state === 'close') epilogueRefused();
    if (this.state === 'body' && this.part && !this.part.file) {
      this.part.bytes = Buffer.concat(this.chunks, this.size);
    }
    this.state = this.state === 'end' ? 'end' : 'head';
    this.part = undefined;
    this.chunks = [];
    this.size = 0;
  }
}

/** The form-data part a header block describes; refused when there is none. */
function partOf(block: Buffer): SentPart {
  const headers = headersOf(block);
  const disposition = headers.get('content-disposition');
  // busboy skips a part that is no form-data, which RFC 7578 has every
  // part be: a part whose data held the boundary (the rest of a file
  // taken for such a part, the file cut short) was a success.
  if (disposition === undefined || !/^form-data(?:[\s;]|$)/i.test(disposition)) {
    throw new ApiError(
      'invalid_parameter',
      'a multipart part is not form-data (RFC 7578: every part has a ' +
        'Content-Disposition: form-data naming its field), or the boundary ' +
        'occurs inside a part: pick a boundary that the data does not hold',
      { parameters: [] },
    );
  }
  // Read as busboy reads them, so both see the same parts: its parser
  // with a param decoder that keeps the bytes (one character each).
  const parsed = parseDisposition(disposition, (text) => text);
  // busboy skips the part, losing a field or the file: refused instead.
  if (!parsed || parsed.type !== 'form-data') return unreadable(disposition);
  const { params } = parsed;
  const type = headers.get('content-type');
  const media = type === undefined ? undefined : parseContentType(type);
  const rawName = params.name || undefined;
  return {
    rawName,
    name: rawName === undefined ? undefined : Buffer.from(rawName, 'latin1').toString(),
    file:
      Boolean(params['filename*'] || params.filename) ||
      (media !== undefined && `${media.type}/${media.subtype}` === 'application/octet-stream'),
    charset: namedCharset(type),
    bytes: Buffer.alloc(0),
    ...(params['filename*'] === undefined && params.filename !== undefined
      ? { rawFileName: params.filename }
      : {}),
  };
}

/**
 * The refusal of a boundary line with more after the boundary: busboy
 * takes it for a boundary all the same (ending the part before it) and
 * drops the part after it unread, a field or the file lost without a
 * word. Blanks there are RFC 2046's transport padding, which busboy does
 * not read; other bytes are the boundary inside a part's data.
 */
function boundaryLineGoesOn(head: Buffer, lineEnd: number): never {
  const rest = head.subarray(0, lineEnd).toString('latin1');
  if (!/^[ \t]+$/.test(rest)) boundaryInData();
  throw new ApiError(
    'invalid_parameter',
    'a multipart boundary line ends in blanks (transport padding), which ' +
      'the gateway does not read: end each boundary line right after the ' +
      'boundary (or its closing --)',
    { parameters: [] },
  );
}

/** The refusal of a boundary line (or a closing one) with more after the boundary. */
function boundaryInData(): never {
  throw new ApiError(
    'invalid_parameter',
    'the multipart boundary occurs inside a part (a line of the boundary ' +
      'and more): pick a boundary that the data does not hold',
    { parameters: [] },
  );
}

/** Whether `bytes` hold a line feed with no carriage return before it. */
function hasBareLf(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) {
    if (at === 0 || bytes[at - 1] !== CR) return true;
  }
  return false;
}

/**
 * The refusal of a body whose boundary or header lines end in LF alone
 * (a client writing `\n` for some line breaks): busboy finds no part
 * head there, and the error would otherwise name a boundary problem.
 * A boundary after LF or CR alone busboy reads as data: the part after
 * it was taken into a field's value or a file, lost with 200.
 */
function lineBreaksNotCrlf(): never {
  throw new ApiError(
    'invalid_parameter',
    "the multipart body's line breaks are not CRLF: a boundary or header " +
      'line comes after or ends in LF alone (or comes after CR alone), and ' +
      'multipart/form-data (RFC 2046, RFC 7578) needs CRLF (\\r\\n) before ' +
      'and after every boundary and after every header line',
    { parameters: [] },
  );
}

/**
 * The refusal of bytes after the closing boundary's line. RFC 2046 lets
 * an epilogue follow, which no HTTP client sends; busboy reads nothing
 * there, so such bytes were what followed a closing line inside a file's
 * data: the file cut short there, and the fields after it lost, with 200.
 */
function epilogueRefused(): never {
  throw new ApiError(
    'invalid_parameter',
    'the multipart body goes on after its closing boundary line (the ' +
      'closing boundary inside a part, or an epilogue, which the gateway ' +
      'does not take): pick a boundary that the data does not hold and ' +
      'end the body with the closing boundary line',
    { parameters: [] },
  );
}

/**
 * A part's headers, the first of each name (as busboy keeps them); a
 * folded line goes on with its leading blank, its CRLF dropped.
 */
function headersOf(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  const folded = block.toString('latin1').replace(/\r\n(?=[ \t])/g, '');
  for (const line of folded.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).replace(/^[ \t]+/, ''));
  }
  return headers;
}

/** The refusal of a form-data part whose Content-Disposition busboy cannot read. */
function unreadable(disposition: string): never {
  throw new ApiError(
    'invalid_parameter',
    `a multipart part's Content-Disposition cannot be read: ${disposition.slice(0, 100)}`,
    { parameters: [] },
  );
}
