const NOTHING = Buffer.alloc(0);

/**
 * Finds a needle in a stream of chunks, left to right, as busboy's
 * streamsearch does: `onData` is told the bytes between matches (views
 * of the chunks: copy what is kept), `onMatch` each match. The search
 * is Buffer's own `indexOf`, so a long file part costs little beside
 * busboy's own reading of it.
 */
export class NeedleScan {
  /** The end of the last chunk, while it may begin a match. */
  private held = NOTHING;

  constructor(
    private readonly needle: Buffer,
    private readonly onData: (bytes: Buffer) => void,
    private readonly onMatch: () => void,
  ) {}

  push(chunk: Buffer): void {
    const bytes = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = NOTHING;
    let from = 0;
    for (let at = bytes.indexOf(this.needle); at >= 0; at = bytes.indexOf(this.needle, from)) {
      if (at > from) this.onData(bytes.subarray(from, at));
      from = at + this.needle.length;
      this.onMatch();
    }
    const kept = this.partialMatch(bytes, from);
    if (kept > from) this.onData(bytes.subarray(from, kept));
    if (kept < bytes.length) this.held = Buffer.from(bytes.subarray(kept));
  }

  /** Where the bytes' end begins the needle (past `from`), else their length. */
  private partialMatch(bytes: Buffer, from: number): number {
    const first = this.needle[0];
    let at = Math.max(from, bytes.length - this.needle.length + 1);
    for (at = bytes.indexOf(first, at); at >= 0; at = bytes.indexOf(first, at + 1)) {
      const rest = bytes.length - at;
      if (bytes.compare(this.needle, 0, rest, at) === 0) return at;
    }
    return bytes.length;
  }
}
