// Container HEALTHCHECK: GET /healthz on the port of the service this
// container runs (health-port.mjs says which).
// usage: node healthcheck.mjs [port]
import { firstProcessCommandLine, healthPort } from './health-port.mjs';

const port = healthPort(
  process.argv.slice(2),
  process.env,
  firstProcessCommandLine(),
);

try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(3000),
  });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
