/**
 * A file `upload` was given by path could not be read: missing, not a
 * file, not readable, or changed while it was sent. Not a network
 * error: no retry helps, and the gateway kept nothing of it.
 */
export class UploadFileError extends Error {
  /** The path as given. */
  readonly path: string;
  /** The system's code (`ENOENT`, `EACCES`, `EISDIR`…), or `EIO`. */
  readonly code: string;
  /** What went wrong, without the path. */
  readonly reason: string;

  constructor(path: string, code: string, reason: string, cause?: unknown) {
    super(`${path}: ${reason}`, { cause });
    this.name = 'UploadFileError';
    this.path = path;
    this.code = code;
    this.reason = reason;
  }

  /** From a failed fs call: its code and message, the path in front. */
  static of(path: string, err: unknown): UploadFileError {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const reason =
      code === 'ENOENT' ? 'no such file' : (err as Error).message ?? String(err);
    return new UploadFileError(path, code, `${reason} (${code})`, err);
  }
}

/** The UploadFileError somewhere in `err`'s chain of causes, if any. */
export function uploadFileErrorIn(err: unknown): UploadFileError | undefined {
  for (let at = err, depth = 0; at && depth < 5; depth++) {
    if (at instanceof UploadFileError) return at;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}
