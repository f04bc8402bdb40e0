import http from 'node:http';
import { listenOnLoopback } from './loopback-http';

export interface HeldSource {
  /** Where the file is served. */
  url: string;
  /** Requests for it so far. */
  readonly requests: number;
  /** Settles once the first request has come in and is being held. */
  fetched: Promise<void>;
  /** Sends the rest of the file to every request held, and later ones. */
  release(): void;
  close(): Promise<void>;
}

/**
 * Serves `bytes` as one audio file over loopback HTTP, but sends only the
 * first KiB until `release()`: a gateway fetching it by URL stays inside
 * the upload (holding the site's slot, or an Idempotency-Key claim) for
 * as long as a test wants, with no timer involved.
 */
export async function heldSource(
  bytes: Buffer,
  name = 'held.wav',
): Promise<HeldSource> {
  const head = bytes.subarray(0, 1024);
  let released = false;
  let requests = 0;
  const waiting: Array<() => void> = [];
  let fetched!: () => void;
  const fetchedOnce = new Promise<void>((resolve) => (fetched = resolve));

  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, {
      'content-type': 'audio/wav',
      'content-length': String(bytes.length),
    });
    res.write(head);
    const rest = () => res.end(bytes.subarray(head.length));
    if (released) rest();
    else {
      waiting.push(rest);
      fetched();
    }
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: `${loopback.url}/${name}`,
    get requests() {
      return requests;
    },
    fetched: fetchedOnce,
    release() {
      released = true;
      for (const rest of waiting.splice(0)) rest();
    },
    close: loopback.close,
  };
}
