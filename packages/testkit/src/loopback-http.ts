import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: http.Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
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
  return { url: await listen(server), close: closer(server) };
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

  const waitFor = async (count: number, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${received.length}/${count} webhooks in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return received;
  };
  return { url: await listen(server), close: closer(server), received, waitFor };
}
