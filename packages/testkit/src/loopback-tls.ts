import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { listenOnLoopback, type LoopbackServer } from './loopback-http';

/**
 * An HTTPS server on a free loopback port, answering `{}`. Its `url` is
 * the http:// one (the mistake under test); `plainRequests` counts the
 * connections that sent it no TLS (Node closes them without a word).
 */
export async function httpsOnLoopback(): Promise<
  LoopbackServer & { plainRequests: () => number }
> {
  // A self-signed key and certificate for 127.0.0.1, for tests alone
  // (the key is public): one PEM text holds both.
  const pem = readFileSync(new URL('./loopback-tls.pem', import.meta.url));
  const tls = https.createServer({ key: pem, cert: pem }, (_req, res) => res.end('{}'));
  let plain = 0;
  tls.on('tlsClientError', () => (plain += 1));
  const server = await listenOnLoopback(tls as unknown as http.Server);
  return { ...server, plainRequests: () => plain };
}
