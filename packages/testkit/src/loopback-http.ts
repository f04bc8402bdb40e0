import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { waitUntil } from './wait-until';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Puts `server` on a free loopback port; its `close` also ends the
 * connections still open, so a test never waits on a stalled client.
 */
export async function listenOnLoopback(
  server: http.Server,
): Promise<LoopbackServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends a request a loopback proxy got on to `upstream`, as it came (the
 * Host header aside), and hands the answer to `onAnswer`. A failed
 * forward drops the client's connection. The caller pipes the body in.
 */
export function forwardRequest(
  upstream: URL,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  onAnswer: (answer: http.IncomingMessage) => void,
): http.ClientRequest {
  const forward = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    },
    onAnswer,
  );
  forward.on('error', () => res.destroy());
  return forward;
}

/** Serves the files of one folder, as a source host would. */
export async function serveFiles(dir: string): Promise<LoopbackServer> {
  const server = http.createServer(async (req, res) => {
    const name = decodeURIComponent(
      new URL(req.url ?? '/', 'http://x').pathname,
    );
    const file = path.join(dir, path.normalize(name));
    try {
      if (!file.startsWith(path.resolve(dir) + path.sep)) throw new Error();
      const info = await stat(file);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return listenOnLoopback(server);
}

export interface ReceivedWebhook {
  id: string;
  body: Record<string, unknown>;
  verified: boolean;
}

export interface WebhookReceiver extends LoopbackServer {
  received: ReceivedWebhook[];
  /** Waits until `count` deliveries arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
}

/**
 * A webhook endpoint that checks each delivery's signature with the
 * `standardwebhooks` reference library. `respond` picks the status.
 */
export async function webhookReceiver(
  secret: string,
  respond: (attempt: number) => number = () => 204,
): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  let attempts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        verifier.verify(raw, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const status = respond(++attempts);
      if (status >= 200 && status < 300) {
        received.push({
          id: String(req.headers['webhook-id']),
          body: JSON.parse(raw),
          verified,
        });
      }
      res.writeHead(status).end();
    });
  });

  const waitFor = (count: number, timeoutMs = 60_000) =>
    waitUntil(() => received.length >= count && received, {
      timeoutMs,
      intervalMs: 50,
      message: () =>
        `${received.length}/${count} webhooks in ${timeoutMs} ms`,
    });
  return { ...(await listenOnLoopback(server)), received, waitFor };
}
