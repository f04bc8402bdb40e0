/**
 * `npm run webhook:listen -- [port]`: a local webhook receiver for trying
 * the service. Prints each delivery with its method and path (which
 * `oncomplete` URL was hit) and whether its signature verifies with
 * WEBHOOK_SECRET (the `whsec_…` that `npm start` printed).
 */
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const port = Number(process.argv[2] ?? 9999);
const secret = process.env.WEBHOOK_SECRET;
const verifier = secret ? new Webhook(secret) : undefined;

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
        } catch {
          verdict = 'INVALID';
        }
      }
      process.stdout.write(
        `\n${req.method} ${req.url} webhook ${req.headers['webhook-id']} ` +
          `signature: ${verdict}\n` +
          pretty(body) + '\n',
      );
      res.writeHead(204).end();
    });
  })
  .listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening on http://127.0.0.1:${port}/\n`);
  });

/** The body as indented JSON, or as it came when it is not JSON. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body || '{}'), null, 2);
  } catch {
    return body;
  }
}
