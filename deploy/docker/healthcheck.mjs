// Container HEALTHCHECK: GET /healthz on this container's own port.
// usage: node healthcheck.mjs [port]   (default: $PORT, then 8080)
const port = process.argv[2] ?? process.env.PORT ?? '8080';

try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(3000),
  });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
