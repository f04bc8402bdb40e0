import type { IncomingMessage } from 'node:http';
import { type Readable, Transform } from 'node:stream';

export interface BodyGuard {
  /** Largest body accepted, in bytes. Default: no limit. */
  maxBytes?: number;
  /** The exchange's deadline; its reason becomes the body's error. */
  signal: AbortSignal;
  tooLarge: (limit: number) => Error;
  /** Wraps a failure of the connection itself (reset, truncated). */
  broken: (cause: Error) => Error;
  /** Called once when the body is over: ended, failed or destroyed. */
  onClose: () => void;
}

/**
 * The response body as the caller sees it: the same bytes, but the stream
 * errors once it passes `maxBytes` or the deadline passes, so neither an
 * endless nor a trickling source can hold the caller.
 */
export function guardBody(res: IncomingMessage, guard: BodyGuard): Readable {
  let received = 0;
  const body: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (guard.maxBytes !== undefined && received > guard.maxBytes) {
        fail(guard.tooLarge(guard.maxBytes));
      }
      callback(null, body.destroyed ? undefined : chunk);
    },
  });

  function fail(error: Error): void {
    // Nobody listening means nobody to tell; an 'error' without a listener
    // would crash the process over a body the caller chose to ignore.
    if (body.listenerCount('error') > 0) body.destroy(error);
    else body.destroy();
  }
  const onAbort = (): void => fail(guard.signal.reason as Error);

  res.on('error', (error) => {
    fail(error === guard.signal.reason ? error : guard.broken(error));
  });
  body.once('close', () => {
    guard.signal.removeEventListener('abort', onAbort);
    res.destroy();
    guard.onClose();
  });

  if (guard.signal.aborted) onAbort();
  else guard.signal.addEventListener('abort', onAbort, { once: true });
  forward(res, body);
  return body;
}

/**
 * `res.pipe(body)` would do, but pipe puts its own 'error' listener on the
 * body, which would hide whether the caller listens.
 */
function forward(res: IncomingMessage, body: Transform): void {
  res.on('data', (chunk: Buffer) => {
    if (body.destroyed) return;
    if (!body.write(chunk)) res.pause();
  });
  body.on('drain', () => res.resume());
  res.on('end', () => body.end());
}
