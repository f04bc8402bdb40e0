import type { NextFunction, Request, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';

/**
 * Routes left out of the histogram. Probes and scrapes are not API
 * traffic: a draining gateway answers /readyz with 503 on purpose, and
 * counted, those would raise the 5xx ratio an alert pages on.
 */
export const UNMEASURED_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
]);

/**
 * Request duration by route and status. The route label is the matched
 * path pattern, never the raw URL, so its values stay bounded.
 */
export function httpMetrics(registry: Registry) {
  const duration = new Histogram({
    name: 'ingest_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
    registers: [registry],
  });

  return (req: Request, res: Response, next: NextFunction) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path
        ? `${req.baseUrl}${req.route.path}`
        : 'unmatched';
      if (UNMEASURED_ROUTES.has(route)) return;
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
