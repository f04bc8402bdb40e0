import { createRequire } from 'node:module';
import { Router } from 'express';
import gatewayPackage from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument } from '../api/openapi-document';

const require = createRequire(import.meta.url);

/** The renderer's browser bundle, served from node_modules: no CDN. */
export const RENDERER_PATH = '/docs/redoc.standalone.js';
const RENDERER_FILE = require.resolve('redoc/bundles/redoc.standalone.js');

/**
 * The page may load from this gateway only. Redoc's side menu shows a
 * logo from its vendor's CDN; the browser does not fetch it (the image
 * hides itself when it fails). Styles are injected inline; search runs
 * in a worker made from a blob.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catalog-ingest API reference</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="${RENDERER_PATH}"></script>
</body>
</html>
`;

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document, made once at start from
 * the schemas the gateway validates with) and `GET /docs` (it rendered by
 * Redoc). Neither needs a token: they describe the API, not a site.
 */
export function apiDocsRoutes(): Router {
  const { version } = gatewayPackage;
  const document = JSON.stringify(buildOpenApiDocument({ version }));
  const router = Router();

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_POLICY);
    res.type('html').send(PAGE);
  });
  router.get(RENDERER_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(RENDERER_FILE);
  });
  return router;
}
