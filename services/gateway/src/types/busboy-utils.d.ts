/**
 * busboy 1.x's own header parsers (lib/utils.js, untyped): the side
 * reader of multipart bodies reads a part's headers with them so it sees
 * the same parts busboy does.
 */
declare module 'busboy/lib/utils.js' {
  type Params = Record<string, string | undefined>;
  /** `type/subtype; params`, lower-cased type; none when malformed. */
  export function parseContentType(
    value: string,
  ): { type: string; subtype: string; params: Params } | undefined;
  /** A Content-Disposition; `decode` turns a plain param's latin1 text into text. */
  export function parseDisposition(
    value: string,
    decode: (text: string, hint: number) => string,
  ): { type: string; params: Params } | undefined;
  /** A file name's last path segment, as busboy keeps it ('' for `.` and `..`). */
  export function basename(path: string): string;
}
