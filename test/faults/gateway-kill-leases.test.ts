/**
 * Faults: a gateway is killed (SIGKILL) in the middle of a URL upload sent
 * with an Idempotency-Key. What that call held, its site's upload slot and
 * its key, is leased, so another gateway takes the site's uploads, and the
 * key's retry, within one lease (HOLDER_LEASE_MS, 30 s): not after
 * INGEST_FETCH_TIMEOUT plus a minute, as when they held for the longest
 * a call may run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HOLDER_LEASE_MS, keys } from '@ingest/state';
import {
  TestStack,
  listenOnLoopback,
  makeTone,
  serveFiles,
  type LoopbackServer,
} from '@ingest/testkit';
import { waitUntil } from './fault-kit';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-leases-'));
  await makeTone(path.join(dir, 'held.wav'), { seconds: 3 });
  await makeTone(path.join(dir, 'next.wav'), { seconds: 4 });
  files = await serveFiles(dir);
  stack = await TestStack.start();
});

after(async () => {
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Serves `bytes` as a WAV whose first request stalls after 4 KiB. */
async function stallingOnce(bytes: Buffer) {
  let started!: () => void;
  const firstRequest = new Promise<void>((resolve) => (started = resolve));
  let requests = 0;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'audio/wav',
      'Content-Length': bytes.length,
    });
    if (++requests > 1) {
      res.end(bytes);
      return;
    }
    res.write(bytes.subarray(0, 4096));
    started();
  });
  const { url, close } = await listenOnLoopback(server);
  return { url: `${url}/held.wav`, firstRequest, close };
}

test('a killed gateway frees its site slot and its key within a lease', async () => {
  const site = await stack.createSite();
  const doomed = await stack.startService('gateway');
  const source = await stallingOnce(await readFile(path.join(dir, 'held.wav')));
  const key = `kill-${Date.now()}`;
  const send = (base: string, url: string, idempotencyKey?: string) =>
    fetch(`${base}/api/import/upload?token=${site.token}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify({ url }),
    }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
    }));

  try {
    const held = send(`http://127.0.0.1:${doomed.port}`, source.url, key);
    held.catch(() => undefined);
    await source.firstRequest;
    await doomed.stop('SIGKILL');
    // Nothing renews them now: each lapses within one lease, not after
    // the longest a call may run.
    const leased = [
      keys.uploadLock(site.id),
      ...(await stack.redis.keys(keys.idempotency(site.id, '*'))),
    ];
    assert.equal(leased.length, 2, leased.join());
    for (const name of leased) {
      const left = await stack.redis.pttl(name);
      assert.ok(left > 0 && left <= HOLDER_LEASE_MS, `${name}: ${left} ms left`);
    }

    // What the dead call held is still held, for now.
    const next = `${files.url}/next.wav`;
    const early = await send(stack.gatewayUrl, next);
    assert.equal(early.status, 429, JSON.stringify(early.body));
    const repeat = await send(stack.gatewayUrl, source.url, key);
    assert.equal(repeat.status, 409, JSON.stringify(repeat.body));
    assert.equal(repeat.body.code, 'idempotency_in_progress');

    const taken = await waitUntil(
      'the site slot to be free again',
      async () => {
        const answer = await send(stack.gatewayUrl, next);
        return answer.status === 429 ? undefined : answer;
      },
      3 * HOLDER_LEASE_MS,
      500,
    );
    assert.equal(taken.status, 200, JSON.stringify(taken.body));

    // The key is free as well: its retry runs anew and is answered.
    const retried = await send(stack.gatewayUrl, source.url, key);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'uploaded');
    const check = await stack.call('/api/import/checkJob', site.token, {});
    assert.equal(check.body.q, 2, 'the killed call made no upload');
  } finally {
    await source.close();
  }
});
