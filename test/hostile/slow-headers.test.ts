/**
 * Hostile: clients that open connections and trickle their headers
 * ("slowloris"). Each such socket holds a descriptor of the gateway; past
 * its open-file limit every upload failed with 500 (EMFILE on its temp
 * file). The gateway holds at most INGEST_MAX_CONNECTIONS at once and
 * says so in its log, and cuts a request whose headers take over 20 s
 * (Node's own limit is 60 s, looked at every 30 s). One client may hold
 * INGEST_MAX_CONNECTIONS_PER_CLIENT of them, so it cannot lock out the
 * others.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, TestStack, waitUntil } from '@ingest/testkit';

const CAP = 20;
const PER_CLIENT = 8;
let stack: TestStack;
let opsPort: number;

before(async () => {
  opsPort = await freePort();
  stack = await TestStack.start({
    transcoders: 0,
    env: {
      GATEWAY_OPS_PORT: String(opsPort),
      INGEST_MAX_CONNECTIONS: String(CAP),
      INGEST_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT),
    },
  });
});

after(() => stack?.close());

/**
 * A connection from `from` (any 127.x address is this machine's) that
 * sends a request line and one header, and no more.
 */
function slowHeaders(from = '127.0.0.1') {
  const { port } = new URL(stack.gatewayUrl);
  const socket = net.connect({
    port: Number(port),
    host: '127.0.0.1',
    localAddress: from,
  });
  let answer = '';
  let closed = false;
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  socket.write('GET /api/import/getAvailableFields HTTP/1.1\r\nHost: a\r\n');
  return {
    socket,
    answer: () => answer,
    closed: () => closed,
  };
}

const gatewayLogs = () =>
  stack.services.find((s) => s.name === 'gateway')?.logs ?? '';

test('connections past INGEST_MAX_CONNECTIONS are dropped, and logged', async () => {
  // Each from an address of its own: the per-client cap stays out of it.
  const held = Array.from({ length: CAP + 10 }, (_, i) =>
    slowHeaders(`127.0.1.${i + 1}`),
  );
  try {
    await waitUntil(() => held.filter((c) => c.closed()).length >= 10, {
      timeoutMs: 10_000,
      message: 'no connection was dropped at the cap',
    });
    // The first ones are held (until their headers time out); the rest
    // were dropped without an answer. (One place may be the test's own
    // keep-alive connection.)
    const open = held.filter((c) => !c.closed()).length;
    assert.ok(open >= CAP - 1 && open <= CAP, `${open} held`);
    assert.ok(held.every((c) => c.answer() === ''));
    await waitUntil(() => /connection cap reached: 20 open/.test(gatewayLogs()), {
      message: 'the cap was not logged',
    });
    // Probes and scrapes on GATEWAY_OPS_PORT are outside the cap.
    const ops = `http://127.0.0.1:${opsPort}`;
    assert.equal((await fetch(`${ops}/healthz`)).status, 200);
    assert.deepEqual(await (await fetch(`${ops}/readyz`)).json(), {
      status: 'ready',
    });
    assert.match(await (await fetch(`${ops}/metrics`)).text(), /^ingest_/m);
  } finally {
    for (const c of held) c.socket.destroy();
  }
  // Once they are gone, calls are answered again.
  const answer = await waitUntil(
    async () => {
      const res = await stack
        .call('/api/import/getAvailableFields', 'no-such-token', {})
        .catch(() => undefined);
      return res?.status === 401 ? res : undefined;
    },
    { message: 'calls were not answered after the slow clients left' },
  );
  assert.equal(answer.body.code, 'unauthorized');
});

test('headers trickled past 20 s: cut with 408 request_timeout', async () => {
  const slow = slowHeaders();
  const trickle = setInterval(() => slow.socket.write('X-Slow: 1\r\n'), 1_000);
  try {
    // Node's default would cut it after 60 to 90 s.
    await waitUntil(() => slow.closed(), {
      timeoutMs: 45_000,
      intervalMs: 250,
      message: 'the slow headers were not cut',
    });
  } finally {
    clearInterval(trickle);
    slow.socket.destroy();
  }
  assert.match(slow.answer(), /^HTTP\/1\.1 408 /);
  assert.match(slow.answer(), /"code":"request_timeout"/);
});

test('one client holding its per-client cap locks out only itself', async () => {
  // As many as the whole cap and more, from one address.
  const held = Array.from({ length: CAP + 4 }, () => slowHeaders('127.0.0.5'));
  try {
    await waitUntil(() => held.filter((c) => c.closed()).length >= CAP + 4 - PER_CLIENT, {
      timeoutMs: 10_000,
      message: 'no connection of the one client was dropped',
    });
    assert.equal(held.filter((c) => !c.closed()).length, PER_CLIENT);

    // Another client is answered meanwhile (before: dropped too, once
    // one client held the whole INGEST_MAX_CONNECTIONS).
    const other = slowHeaders('127.0.0.6');
    other.socket.write('\r\n');
    await waitUntil(() => other.answer().includes('\r\n\r\n'), {
      message: 'the other client was not answered',
    });
    assert.match(other.answer(), /^HTTP\/1\.1 401 /);
    other.socket.destroy();
    await waitUntil(() => /client connection cap reached/.test(gatewayLogs()), {
      message: 'the per-client cap was not logged',
    });
  } finally {
    for (const c of held) c.socket.destroy();
  }
});
