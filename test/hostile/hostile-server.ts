/**
 * A loopback source host that misbehaves on purpose, one path per way:
 * slow, endless, missing, looping, lying about its type. It counts every
 * request by path so a test can prove something was never fetched.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HostileServer {
  url: string;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  /** Adds or replaces the handler of one path. */
  route(pathname: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function hostileServer(dir: string): Promise<HostileServer> {
  const hits = new Map<string, number>();
  const routes = new Map<string, Handler>();
  const timers = new Set<NodeJS.Timeout>();

  const fileOf = (name: string) => readFile(path.join(dir, name));
  const audio = (res: http.ServerResponse, extra = {}) =>
    res.writeHead(200, { 'Content-Type': 'audio/wav', ...extra });

  // A few bytes every half second, for ever.
  routes.set('/slow.wav', (_req, res) => {
    audio(res);
    const timer = setInterval(() => res.write(Buffer.alloc(64)), 500);
    timers.add(timer);
    res.on('close', () => clearInterval(timer));
  });
  // As fast as the socket takes it, never ending, no length announced.
  routes.set('/endless.wav', (_req, res) => {
    audio(res);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  });
  routes.set('/missing.wav', (_req, res) => res.writeHead(404).end('nope'));
  routes.set('/loop-a.wav', (_req, res) =>
    res.writeHead(302, { Location: '/loop-b.wav' }).end(),
  );
  routes.set('/loop-b.wav', (_req, res) =>
    res.writeHead(302, { Location: '/loop-a.wav' }).end(),
  );
  routes.set('/page.html', (_req, res) =>
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>Not audio</title><p>hello</p>'),
  );
  routes.set('/empty.wav', (_req, res) =>
    audio(res, { 'Content-Length': 0 }).end(),
  );

  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    const handler = routes.get(pathname);
    if (handler) return handler(req, res);

    // Anything else: a file of the folder, announced with its length, or
    // sent chunked (no length) under /chunked/.
    const chunked = pathname.startsWith('/chunked/');
    const name = path.basename(pathname);
    try {
      const bytes = await fileOf(name);
      audio(res, chunked ? {} : { 'Content-Length': bytes.length });
      res.end(bytes);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    route: (pathname, handler) => routes.set(pathname, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
