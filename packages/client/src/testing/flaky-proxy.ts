import http from 'node:http';
import { forwardRequest, listenOnLoopback } from '@ingest/testkit';

export interface FlakyProxyOptions {
  /** Requests to this path (no query) are refused first. */
  path: string;
  /** How many of them are refused before the rest pass. */
  failures: number;
  status?: number;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface FlakyProxy {
  url: string;
  /** Requests seen per path, refused or passed. */
  hits: Map<string, number>;
  /** Refuses the next `n` requests to `path` again. */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/**
 * A loopback reverse proxy in front of `target` that answers the first
 * requests to one path with an error (429 by default) after reading their
 * whole body, then passes everything through: how a client's retries
 * meet a real gateway.
 */
export async function flakyProxy(
  target: string,
  options: FlakyProxyOptions,
): Promise<FlakyProxy> {
  const upstream = new URL(target);
  const hits = new Map<string, number>();
  let refusals = options.failures;

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://proxy').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);

    if (pathname === options.path && refusals > 0) {
      refusals--;
      req.resume();
      req.on('end', () => {
        res.writeHead(options.status ?? 429, {
          'content-type': 'application/json',
          ...options.headers,
        });
        res.end(JSON.stringify(options.body ?? { error: 'busy', code: 'busy' }));
      });
      return;
    }

    const forward = forwardRequest(upstream, req, res, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });

  return {
    ...(await listenOnLoopback(server)),
    hits,
    refuseNext: (n) => {
      refusals = n;
    },
  };
}
