/** streamsearch 1.x (busboy's own dependency) ships no types. */
declare module 'streamsearch' {
  /** Told each run of bytes between matches, and each match. */
  type OnData = (
    isMatch: boolean,
    data: Buffer | undefined,
    start: number,
    end: number,
    isSafeData: boolean,
  ) => void;

  /** A streaming Boyer-Moore-Horspool search for `needle`. */
  export default class StreamSearch {
    constructor(needle: Buffer | string, onData: OnData);
    push(chunk: Buffer, pos?: number): number;
    reset(): void;
    destroy(): void;
  }
}
