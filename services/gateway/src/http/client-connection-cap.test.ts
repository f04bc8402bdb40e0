import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { createLogger } from '@ingest/telemetry';
import { trustedProxies } from './client-address';
import { capConnectionsPerClient } from './client-connection-cap';

const logger = createLogger('test', 'silent');
const servers: http.Server[] = [];
const sockets: net.Socket[] = [];

async function cappedServer(perClient: number, trust: string[] = []) {
  const server = http.createServer((_req, res) => res.end('ok'));
  capConnectionsPerClient(server, perClient, logger, trustedProxies(trust));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** An idle connection from `from`, once the server has taken it. */
async function hold(port: number, from: string): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** The status of a GET from `from`, or the error that ended it. */
function get(port: number, from: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(
      { port, host: '127.0.0.1', localAddress: from, agent: false, path: '/' },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

after(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('one client holding its cap of idle sockets locks out only itself', async () => {
  const port = await cappedServer(3);
  for (let i = 0; i < 3; i++) await hold(port, '127.0.0.1');

  assert.equal(await get(port, '127.0.0.1'), 'ECONNRESET');
  assert.equal(await get(port, '127.0.0.2'), 200);

  // A socket given up frees its place, once the server saw it close (no
  // fixed wait: a loaded machine may take longer than any).
  sockets[0].destroy();
  let status = await get(port, '127.0.0.1');
  for (let tries = 0; status !== 200 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await get(port, '127.0.0.1');
  }
  assert.equal(status, 200);
});

test('a trusted proxy is not capped: it brings many clients', async () => {
  const port = await cappedServer(2, ['127.0.0.3']);
  for (let i = 0; i < 4; i++) await hold(port, '127.0.0.3');
  assert.equal(await get(port, '127.0.0.3'), 200);
});
