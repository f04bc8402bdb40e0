import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenRefusal } from '@ingest/core';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  port: number;
  host: string;
  /** The variable naming `port`, for the refusal when it is taken. */
  portSetting: string;
  registry: Registry;
  /**
   * Whether the service's dependencies answer; a `reason` goes into the
   * body of a not-ready answer.
   */
  ready: () => Promise<boolean | ReadyAnswer>;
}

/** A readiness check's finding, with why it is not ready. */
export interface ReadyAnswer {
  ready: boolean;
  reason?: string;
}

/** The status and JSON body of `/readyz` for a check's finding. */
export function readyzAnswer(found: boolean | ReadyAnswer) {
  const { ready, reason } =
    typeof found === 'boolean' ? { ready: found, reason: undefined } : found;
  const body = ready
    ? { status: 'ready' }
    : { status: 'not ready', ...(reason ? { reason } : {}) };
  return { status: ready ? 200 : 503, body };
}

/**
 * `/healthz`, `/readyz` and `/metrics` for a worker service, which has no
 * HTTP API of its own (SPEC §6).
 */
export class OpsServer {
  private readonly server: http.Server;
  private closed?: Promise<void>;

  constructor(private readonly options: OpsServerOptions) {
    this.server = http.createServer((req, res) => {
      this.answer(req.url ?? '/', res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  }

  private async answer(url: string, res: http.ServerResponse) {
    const route = url.split('?')[0];
    if (route === '/healthz') return send(res, 200, { status: 'ok' });
    if (route === '/readyz') {
      const found = await this.options.ready().catch(() => false);
      const { status, body } = readyzAnswer(found);
      return send(res, status, body);
    }
    if (route === '/metrics') {
      const body = await this.options.registry.metrics();
      res.setHeader('Content-Type', this.options.registry.contentType);
      return res.end(body);
    }
    send(res, 404, { error: 'not found', code: 'not_found' });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const { host, port, portSetting } = this.options;
      this.server.once('error', (err) =>
        reject(listenRefusal(err, { host, port, portSetting })),
      );
      this.server.listen(port, host, () => {
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
