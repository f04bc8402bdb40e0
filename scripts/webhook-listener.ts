/**
 * `npm run webhook:listen -- [port]`: a local webhook receiver for trying
 * the service. Prints each delivery with its method and path (which
 * `oncomplete` URL was hit) and whether its signature verifies with
 * WEBHOOK_SECRET (the `whsec_…` that `npm start` printed). It answers
 * 204, and 401 to a delivery whose signature does not verify, as a real
 * receiver should: the service then retries it, and checkJob shows it.
 */
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { ScriptRefusal, exitRefused } from './script-refusal';

const USAGE = 'usage: npm run webhook:listen -- [PORT] (default 9999)';
const given = process.argv[2] ?? '9999';
const port = Number(given);
if (!/^\d+$/.test(given) || port < 1 || port > 65535) {
  exitRefused(new ScriptRefusal(`not a port: ${given}; ${USAGE}`));
}
const secret = process.env.WEBHOOK_SECRET;
const INVALID = 'INVALID';
const verifier = secret ? verifierOf(secret) : undefined;

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verdict = 'not checked (set WEBHOOK_SECRET)';
      if (verifier) {
        try {
          verifier.verify(body, req.headers as Record<string, string>);
          verdict = 'valid';
        } catch (err) {
          verdict = invalid(err);
        }
      }
      process.stdout.write(
        `\n${req.method} ${req.url} webhook ${req.headers['webhook-id']} ` +
          `signature: ${verdict}\n` +
          pretty(body) + '\n',
      );
      res.writeHead(verdict.startsWith(INVALID) ? 401 : 204).end();
    });
  })
  // A taken port (the README's 9999, a listener already running) threw
  // an unhandled 'error' with a stack trace.
  .on('error', (err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE'
        ? 'another process listens there; stop it or give a free port'
        : err.message;
    exitRefused(new ScriptRefusal(`cannot listen on 127.0.0.1:${port}: ${why}; ${USAGE}`));
  })
  .listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening on http://127.0.0.1:${port}/\n`);
  });

/**
 * The secret's verifier. One that is not base64 after `whsec_` (the
 * README's `whsec_…` pasted as it stands, a secret cut short) threw a
 * stack trace from the base64 decoder.
 */
function verifierOf(given: string): Webhook {
  try {
    return new Webhook(given);
  } catch {
    exitRefused(
      new ScriptRefusal(
        'WEBHOOK_SECRET is not a webhook secret (whsec_ and base64): give the ' +
          '"webhook secret:" of the npm start banner, or site:create\'s webhook_secret',
      ),
    );
  }
}

/**
 * Why a delivery did not verify, and what to check. A bare "INVALID"
 * left a first user with the secret of another site (the banner's, for
 * a job of a site:create site) guessing, while the 401 got it retried.
 */
function invalid(err: unknown): string {
  const why = err instanceof Error ? err.message : String(err);
  return (
    `${INVALID} (${why}); answered 401, so it is sent again later. Each site ` +
    'signs with its own secret: WEBHOOK_SECRET must be that of the site whose job this is'
  );
}

/** The body as indented JSON, or as it came when it is not JSON. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body || '{}'), null, 2);
  } catch {
    return body;
  }
}
