import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { listenOnLoopback, waitUntil } from '@ingest/testkit';
import { InFlight } from './in-flight';

/**
 * A server whose handler waits for the drain's signal and then, like the
 * endpoints, runs its cleanup before it answers; `deaf` never answers.
 */
async function serverWith(inFlight: InFlight, cleanupMs: number) {
  let arrived = 0;
  const cleanedUp: string[] = [];
  const server = http.createServer((req, res) => {
    arrived += 1;
    if (req.url === '/deaf') return;
    const work = (async () => {
      await new Promise((resolve) => {
        inFlight.signal.addEventListener('abort', resolve, { once: true });
      });
      await delay(cleanupMs);
      cleanedUp.push(req.url ?? '');
      const reason = inFlight.signal.reason as ApiError;
      res.writeHead(reason.status).end(reason.code);
    })();
    inFlight.track(work);
  });
  inFlight.attach(server);
  const calledIn = () =>
    waitUntil(() => arrived > 0, {
      timeoutMs: 5_000,
      intervalMs: 10,
      message: 'the call never came',
    });
  return { ...(await listenOnLoopback(server)), cleanedUp, calledIn };
}

function get(url: string) {
  return fetch(url).then(
    async (res) => `${res.status} ${await res.text()}`,
    () => 'connection lost',
  );
}

test('an idle server drains at once, and nothing is cut short', async () => {
  const inFlight = new InFlight();
  const server = await serverWith(inFlight, 0);
  try {
    assert.equal(await inFlight.drain(1_000, 1_000), true);
    assert.equal(inFlight.signal.aborted, false);
  } finally {
    await server.close();
  }
});

test('calls running at the cut answer 503 once their cleanup ran', async () => {
  const inFlight = new InFlight();
  const server = await serverWith(inFlight, 50);
  try {
    const answer = get(`${server.url}/upload`);
    await server.calledIn();
    assert.equal(await inFlight.drain(100, 1_000), true);
    assert.equal(await answer, '503 not_ready');
    assert.deepEqual(server.cleanedUp, ['/upload']);
  } finally {
    await server.close();
  }
});

test('a call deaf to the signal loses its connection', async () => {
  const inFlight = new InFlight();
  const server = await serverWith(inFlight, 0);
  try {
    const answer = get(`${server.url}/deaf`);
    await server.calledIn();
    // True: every call ended once its connection was destroyed, not
    // when the drain's last wait ran out (false).
    assert.equal(await inFlight.drain(100, 100), true);
    assert.equal(await answer, 'connection lost');
  } finally {
    await server.close();
  }
});

test('a handler still running after the grace is reported', async () => {
  const inFlight = new InFlight();
  const server = await serverWith(inFlight, 500);
  try {
    const answer = get(`${server.url}/slow-cleanup`);
    await server.calledIn();
    assert.equal(await inFlight.drain(50, 50), false);
    assert.equal(await answer, 'connection lost');
    await inFlight.idle();
    assert.deepEqual(server.cleanedUp, ['/slow-cleanup']);
  } finally {
    await server.close();
  }
});
