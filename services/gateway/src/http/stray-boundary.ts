const NOTHING = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
/** What may follow a boundary on its line: its line break, or blanks before it. */
const LINE_GOES_ON = new Set([CR, LF, 0x20, 0x09]);

/**
 * Finds, in a part's data as it arrives, a boundary line after CR or LF
 * alone: a line break that is not CRLF before a boundary line, which
 * busboy reads, with the part after it, as data. One `indexOf` of
 * `--boundary` per chunk; a find has CR or LF before it (CRLF there is
 * the delimiter, which never reaches here) and, as a boundary line
 * does, CR, LF, a blank or `--` after it: a short boundary (`x`) in a
 * file's bytes after a line break, and no more, is data.
 */
export class StrayBoundary {
  private readonly needle: Buffer;
  /** The data's last bytes, where a find may begin or have its bytes around. */
  private tail = NOTHING;

  constructor(
    boundary: string,
    private readonly found: () => never,
  ) {
    this.needle = Buffer.from(`--${boundary}`);
  }

  /** The search begins again: a new part's data. */
  reset(): void {
    this.tail = NOTHING;
  }

  push(bytes: Buffer): void {
    // The byte before, the needle and the two after.
    const around = this.needle.length + 3;
    // A find that begins before the chunk, or whose bytes around are in the tail.
    if (this.tail.length > 0) {
      this.search(Buffer.concat([this.tail, bytes.subarray(0, around)]));
    }
    this.search(bytes);
    this.tail = Buffer.from(
      bytes.length >= around
        ? bytes.subarray(-around)
        : Buffer.concat([this.tail, bytes]).subarray(-around),
    );
  }

  /** Finds with their byte before and two after in `bytes`; the rest come again. */
  private search(bytes: Buffer): void {
    const { needle } = this;
    for (let at = bytes.indexOf(needle, 1); at > 0; at = bytes.indexOf(needle, at + 1)) {
      const before = bytes[at - 1];
      const [next, second] = [bytes[at + needle.length], bytes[at + needle.length + 1]];
      if (second === undefined || (before !== CR && before !== LF)) continue;
      if (LINE_GOES_ON.has(next) || (next === DASH && second === DASH)) this.found();
    }
  }
}
