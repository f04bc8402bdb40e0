import express, {
  type ErrorRequestHandler,
  type Express,
  type Router,
} from 'express';
import { ApiError } from '@ingest/core';
import type { Registry } from 'prom-client';
import {
  readyzAnswer,
  type Logger,
  type ReadyAnswer,
} from '@ingest/telemetry';
import { httpMetrics } from './http/http-metrics';
import { apiDocsRoutes } from './routes/api-docs-routes';
import { importRoutes, type ImportRouteDeps } from './routes/import-routes';
import { trackRoutes, type TrackRouteDeps } from './routes/track-routes';

export interface AppDeps extends ImportRouteDeps, TrackRouteDeps {
  logger: Logger;
  registry: Registry;
  /** Whether Redis and storage answer, and if not, why. */
  ready: () => Promise<ReadyAnswer>;
  /** True once shutdown began: new API calls get 503. */
  draining: () => boolean;
  /** The queue dashboard, when an admin token is set. */
  dashboard?: { path: string; router: Router };
}

/** The gateway's Express app: API, health, readiness and metrics. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Every answer is of the type it says: a download begins with tags a
  // client wrote, which a browser must not sniff into HTML.
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(httpMetrics(deps.registry));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const found = deps.draining()
      ? { ready: false, reason: 'shutting down' }
      : await deps.ready().catch(() => ({ ready: false }));
    const { status, body } = readyzAnswer(found);
    res.status(status).json(body);
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });
  app.use(apiDocsRoutes());

  app.use('/api', (_req, res, next) => {
    if (!deps.draining()) return next();
    const err = new ApiError('not_ready', 'gateway is shutting down');
    res.setHeader('Connection', 'close');
    res.status(err.status).json(err.toBody());
  });
  // Endpoints take GET and POST (SPEC §1); other methods do nothing.
  app.use('/api', (req, res, next) => {
    if (['GET', 'HEAD', 'POST'].includes(req.method)) return next();
    const err = new ApiError(
      'method_not_allowed',
      `${req.method.slice(0, 20)} is not allowed; use GET or POST`,
    );
    res.setHeader('Allow', 'GET, HEAD, POST');
    res.status(err.status).json(err.toBody());
  });
  app.use('/api/import', importRoutes(deps));
  app.use('/api/tracks', trackRoutes(deps));
  if (deps.dashboard) app.use(deps.dashboard.path, deps.dashboard.router);

  // A first user opens `/` or the banner's `/api/import/…`: say where
  // the endpoints are, as the gateway serves their reference itself.
  app.use((_req, res) => {
    const err = new ApiError(
      'not_found',
      'no such endpoint; the API reference is at /docs (and /openapi.json)',
    );
    res.status(err.status).json(err.toBody());
  });
  app.use(lastResort(deps.logger));
  return app;
}

/**
 * An error no route answered (a bug, a library throwing on odd input)
 * answers JSON as every answer does, and is logged; one a library marks
 * as the client's (a 4xx status) answers 400 (413 when too large).
 * Express's own page shows the client the stack, with this machine's
 * paths, unless NODE_ENV is production (npm start does not set it).
 */
function lastResort(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    // A client's fault a library raised (the dashboard's JSON body, a
    // path parameter's bad escape) stays a 4xx, as Express answered it.
    const status = Number(err?.status ?? err?.statusCode);
    if (status >= 400 && status < 500) {
      const answer = status === 413
        ? new ApiError('payload_too_large', 'request body too large')
        : new ApiError('malformed_request', 'the request could not be read');
      res.status(answer.status).json(answer.toBody());
      return;
    }
    logger.error({ err }, 'request failed outside any endpoint');
    const answer = new ApiError('internal', 'internal error');
    res.status(answer.status).json(answer.toBody());
  };
}
