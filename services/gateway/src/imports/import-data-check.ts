import { ApiError } from '@ingest/core';
import type { DataCheck } from '@ingest/queue';
import { refuseInexactMeta } from '../http/json-number-text';

/**
 * The check of an import's stored data, before BullMQ parses it: past
 * `maxBytes` (HTTP's body cap, so a payload holds what an HTTP upload's
 * body may) it is refused unread, as HTTP refuses such a body; text that
 * is not JSON is refused as data that is no object is; a meta number
 * JSON would read as other digits is refused as HTTP refuses it. Each
 * refusal is the body a failed import carries as its failed reason.
 */
/** Where a fault of the meta scan is told. */
export interface DataCheckLogger {
  error(fields: object, message: string): void;
}

export function importDataCheck(
  maxBytes: number,
  logger: DataCheckLogger,
  scan: (text: string, parsed: unknown) => void = refuseInexactMeta,
): DataCheck {
  return (text) => {
    // A character is at most 3 UTF-8 bytes (4 for a pair of 2).
    if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
      return new ApiError(
        'payload_too_large',
        `job data exceeds ${maxBytes} bytes`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return new ApiError(
        'invalid_parameter',
        'job data is not JSON; add the payload as a JSON object',
        { parameters: [] },
      );
    }
    // Only the text tells what a number was written as.
    try {
      scan(text, parsed);
      return undefined;
    } catch (err) {
      if (err instanceof ApiError) return err;
      // A fault of the scan: told, and the job runs as before. Its
      // message may quote the payload (a SyntaxError's does): only the
      // kind of error and where it was thrown are logged.
      logger.error({ scanFault: faultOf(err) }, 'import meta number scan failed');
      return undefined;
    }
  };
}

/** An error's kind and stack frames, without its message. */
function faultOf(err: unknown): { type: string; at: string[] } {
  if (!(err instanceof Error)) return { type: typeof err, at: [] };
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return { type: err.name, at: frames.map((line) => line.trim()) };
}

/**
 * The refusal of an import whose stored options are no JSON object:
 * BullMQ reads them as it hands the job over (see CheckedDataWorker).
 */
export function importOptsRefusal(): ApiError {
  return new ApiError(
    'invalid_parameter',
    "job options are not a JSON object; add the job with BullMQ's own " +
      'options, or none',
    { parameters: [] },
  );
}
