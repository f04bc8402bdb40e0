/**
 * Faults: Redis stops while Prometheus keeps scraping. Every service's
 * `/metrics` still answers within a scrape timeout, so the process
 * metrics and the gateway's request metrics stay visible during the
 * outage; the queue depth, which only Redis knows, is left out rather
 * than hanging the scrape, and comes back with Redis.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestStack } from '@ingest/testkit';
import { waitUntil } from './fault-kit';

/** Prometheus' default scrape_timeout. */
const SCRAPE_TIMEOUT_MS = 10_000;

let stack: TestStack;

before(async () => {
  stack = await TestStack.start();
});

after(async () => {
  await stack?.close();
});

async function scrape(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
  });
  return { status: res.status, text: await res.text() };
}

const depthSeries = (text: string) =>
  text.split('\n').filter((line) => line.startsWith('ingest_queue_jobs{'));

test('/metrics answers during a Redis outage, without queue depth', async () => {
  const gateway = stack.services.find((s) => s.name === 'gateway')!;
  const before = await scrape(gateway.port);
  assert.ok(depthSeries(before.text).length > 0, 'depth while Redis is up');

  await stack.redisServer.stop('SIGTERM');
  try {
    for (const service of stack.services) {
      const { status, text } = await scrape(service.port).catch((err) => {
        throw new Error(`${service.name} /metrics: ${err}`);
      });
      assert.equal(status, 200, `${service.name} /metrics status`);
      assert.match(text, /^ingest_process_resident_memory_bytes/m);
    }
    const during = await scrape(gateway.port);
    assert.match(during.text, /# TYPE ingest_http_request_duration_seconds/);
    assert.deepEqual(depthSeries(during.text), [], 'no stale queue depth');
  } finally {
    await stack.redisServer.resume();
  }

  await waitUntil('queue depth back with Redis', async () => {
    const { text } = await scrape(gateway.port);
    return depthSeries(text).length > 0;
  }, 30_000, 200);
});
