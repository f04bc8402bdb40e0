/**
 * Hostile: behind a reverse proxy every client has the proxy's address,
 * so all of them shared the two spool places of one address. With
 * INGEST_TRUST_PROXY naming the proxy, the gateway tells clients by the
 * address the proxy forwards for (X-Forwarded-For). A client that writes
 * its own X-Forwarded-For, through the proxy or to the gateway itself,
 * is still told by its own address.
 *
 * The proxy listens on 127.0.0.1 and reaches the gateway from there; the
 * clients connect from 127.0.0.2 to 127.0.0.4 (loopback has a whole /8).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  forwardRequest,
  listenOnLoopback,
  waitUntil,
  type FixtureStack,
  type LoopbackServer,
} from '@ingest/testkit';
import {
  holdPlace,
  openUpload,
  spooled,
  spoolFixture,
  type OpenUpload,
} from './file-first-upload';

let fixture: FixtureStack;
let proxy: LoopbackServer;

before(async () => {
  fixture = await spoolFixture({ INGEST_TRUST_PROXY: '127.0.0.1' });
  proxy = await forwardingProxy(fixture.stack.gatewayUrl);
});

after(async () => {
  await proxy?.close();
  await fixture?.close();
});

/**
 * A reverse proxy that appends its peer's address to X-Forwarded-For,
 * as nginx's `$proxy_add_x_forwarded_for` does.
 */
function forwardingProxy(target: string): Promise<LoopbackServer> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const before = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress ?? '';
    req.headers['x-forwarded-for'] = before ? `${before}, ${peer}` : peer;
    const forward = forwardRequest(upstream, req, res, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.on('close', () => {
      if (!req.complete) forward.destroy();
    });
    req.pipe(forward);
  });
  return listenOnLoopback(server);
}

/** Hangs `held` up and waits until the spool is empty again. */
async function letGo(held: OpenUpload[]) {
  for (const upload of held.splice(0)) upload.hangUp();
  await waitUntil(async () => (await spooled(fixture.stack.dataDir)) === 0, {
    message: 'spool files stayed after the clients hung up',
  });
}

test('behind a trusted proxy, each client has its own two places', async () => {
  const { dataDir } = fixture.stack;
  const held: OpenUpload[] = [];
  try {
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await holdPlace(dataDir, () => openUpload(proxy.url, '127.0.0.2'), held),
      );
    }
    assert.deepEqual(outcomes, ['spooled', 'spooled', '503 spool_full']);

    // Before INGEST_TRUST_PROXY, this one had the proxy's address too: 503.
    const wav = await readFile(path.join(fixture.dir, 'tone-1.wav'));
    const other = openUpload(proxy.url, '127.0.0.3');
    other.send(wav);
    const answer = await other.finish(fixture.site.token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  } finally {
    await letGo(held);
  }
});

test('X-Forwarded-For a client writes itself gets it no more places', async () => {
  const { dataDir, gatewayUrl } = fixture.stack;
  const held: OpenUpload[] = [];
  const forged = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
  // Through the proxy: the address it appends is the right-most.
  const viaProxy: string[] = [];
  // To the gateway itself, from an address it does not trust.
  const direct: string[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      viaProxy.push(
        await holdPlace(
          dataDir,
          () => openUpload(proxy.url, '127.0.0.2', forged(i)),
          held,
        ),
      );
    }
    const refused = await held[2].answer;
    assert.match(refused.body.error, /^2 uploads from your address /);
    await letGo(held);

    for (let i = 0; i < 3; i++) {
      direct.push(
        await holdPlace(
          dataDir,
          () => openUpload(gatewayUrl, '127.0.0.4', forged(10 + i)),
          held,
        ),
      );
    }
    assert.match((await held[2].answer).body.error, /^2 uploads from your address /);
  } finally {
    await letGo(held);
  }
  assert.deepEqual(viaProxy, ['spooled', 'spooled', '503 spool_full']);
  assert.deepEqual(direct, ['spooled', 'spooled', '503 spool_full']);
});
