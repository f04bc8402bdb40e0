import StreamSearch from 'streamsearch';
import { namedCharset } from './form-text';

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
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** Past busboy's own cap on a part's header block (16 KiB). */
const MAX_HEAD_BYTES = 17 * 1024;

/** The boundary a multipart Content-Type names, if any. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Reads the parts of a multipart body, in order, as it arrives: each
 * form-data part (those busboy reports, as a field or a file) is kept
 * from its head on until `next()` takes it; a field's bytes are there
 * once the part has ended.
 */
export class SentParts {
  private readonly search: StreamSearch;
  private readonly parts: SentPart[] = [];
  private state: 'preamble' | 'head' | 'body' | 'end' = 'preamble';
  private head: Buffer[] = [];
  private headBytes = 0;
  private part: SentPart | undefined;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    boundary: string,
    private readonly maxFieldBytes: number,
  ) {
    this.search = new StreamSearch(
      Buffer.from(`\r\n--${boundary}`),
      (isMatch, data, start, end) => {
        if (data && start < end) this.take(data.subarray(start, end));
        if (isMatch) this.partEnded();
      },
    );
    // As busboy does: a body may start with its first boundary.
    this.search.push(CRLF);
  }

  push(chunk: Buffer): void {
    this.search.push(chunk);
  }

  /** The next part busboy is to report, if it came. */
  next(): SentPart | undefined {
    return this.parts.shift();
  }

  private take(bytes: Buffer): void {
    if (this.state === 'head') {
      this.takeHead(bytes);
    } else if (this.state === 'body' && this.part && !this.part.file) {
      const room = this.maxFieldBytes + 1 - this.size;
      if (room <= 0) return;
      // Copied: the search hands out its own buffer at times.
      const kept = Buffer.from(bytes.subarray(0, room));
      this.chunks.push(kept);
      this.size += kept.length;
    }
  }

  private takeHead(bytes: Buffer): void {
    this.head.push(Buffer.from(bytes));
    this.headBytes += bytes.length;
    const head = Buffer.concat(this.head);
    if (head.length < 2) return;
    if (head.subarray(0, 2).toString('latin1') === '--') {
      this.state = 'end';
      return;
    }
    const lineEnd = head.indexOf(CRLF);
    const headEnd = lineEnd < 0 ? -1 : head.indexOf(HEAD_END, lineEnd);
    if (headEnd < 0) {
      // Not a part busboy reads either: it refuses the body.
      if (this.headBytes > MAX_HEAD_BYTES) this.state = 'end';
      this.head = [head];
      return;
    }
    this.head = [];
    this.headBytes = 0;
    this.part = partOf(head.subarray(lineEnd + 2, Math.max(lineEnd + 2, headEnd)));
    // Kept now: busboy reports a file at its head, a field at its end
    // (by then its bytes are here: this reads each chunk first).
    if (this.part) this.parts.push(this.part);
    this.state = 'body';
    this.take(head.subarray(headEnd + HEAD_END.length));
  }

  private partEnded(): void {
    if (this.state === 'body' && this.part && !this.part.file) {
      this.part.bytes = Buffer.concat(this.chunks, this.size);
    }
    if (this.state !== 'end') this.state = 'head';
    this.part = undefined;
    this.chunks = [];
    this.size = 0;
  }
}

/** The part a header block describes; none when busboy skips it. */
function partOf(block: Buffer): SentPart | undefined {
  const headers = new Map<string, string>();
  const lines = block.toString('latin1').split('\r\n');
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    // busboy reads the first of a header given twice.
    if (!headers.has(last)) headers.set(last, line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  if (!/^form-data(?:[\s;]|$)/i.test(disposition)) return undefined;

  const type = headers.get('content-type');
  const rawName = quotedParam(disposition, 'name');
  const hasFileName = /;\s*filename\*?\s*=/i.test(disposition);
  const media = type?.split(';')[0].trim().toLowerCase();
  return {
    rawName,
    name: rawName === undefined ? undefined : Buffer.from(rawName, 'latin1').toString(),
    file: hasFileName || media === 'application/octet-stream',
    charset: namedCharset(type),
    bytes: Buffer.alloc(0),
  };
}

/** A parameter of a header, quoted (backslash escapes) or a token. */
function quotedParam(header: string, name: string): string | undefined {
  const match = new RegExp(
    `;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`,
    'i',
  ).exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/gs, '$1') : match[2];
}
