/**
 * End to end: Redis reaches `maxmemory`. With `noeviction` (which the
 * services require) it refuses writes; a call that needs one answers
 * 503 `not_ready`, as during a storage outage, not 500
 * `internal`, and the gateway logs why. Every service's `/readyz` says
 * Redis is full. Once there is room, calls go through again and the
 * services are ready.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TestStack,
  waitUntil,
  type ServiceProcess,
  type TestSite,
} from '@ingest/testkit';

let stack: TestStack;
let site: TestSite;

before(async () => {
  // Info: the line that tells the end of a full spell is one.
  stack = await TestStack.start({
    transcoders: 1,
    env: { LOG_LEVEL: 'info' },
  });
  site = await stack.createSite();
});

after(() => stack?.close());

const gateway = (): ServiceProcess =>
  stack.services.find((s) => s.name === 'gateway')!;

type LogLine = Record<string, any>;

/** A service's JSON log lines (the first one kept may be cut short). */
function logLines(service: ServiceProcess): LogLine[] {
  return service.logs.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Its lines at error level (pino 50) or above. */
function errorLines(service: ServiceProcess): LogLine[] {
  return logLines(service).filter((line) => line.level >= 50);
}

/** Each service's /readyz answer, as `name status reason`. */
async function readiness(): Promise<string[]> {
  return Promise.all(
    stack.services.map(async (service) => {
      const res = await fetch(`http://127.0.0.1:${service.port}/readyz`, {
        signal: AbortSignal.timeout(8_000),
      });
      const body = (await res.json()) as { reason?: string };
      return `${service.name} ${res.status} ${body.reason ?? ''}`.trim();
    }),
  );
}

test('a full Redis answers 503 not_ready, and calls go through once it has room', async () => {
  const used = Number(
    /used_memory:(\d+)/.exec(await stack.redis.info('memory'))![1],
  );
  // Below what is used: every write is refused.
  await stack.redis.config('SET', 'maxmemory', String(Math.floor(used / 2)));
  try {
    const full = await fetch(`${stack.gatewayUrl}/api/import/createJob`, {
      method: 'POST',
      headers: { authorization: `Bearer ${site.token}` },
      body: new URLSearchParams({ name: 'while full' }),
    });
    const body = (await full.json()) as { code: string; error: string };
    assert.equal(full.status, 503, JSON.stringify(body));
    assert.equal(body.code, 'not_ready');
    assert.match(body.error, /out of room for new work; retry later/);
    // Each call that writes meets it, and is answered so; the log says
    // it once for the episode, not once per call.
    for (let i = 0; i < 4; i += 1) {
      const again = await fetch(`${stack.gatewayUrl}/api/import/createJob`, {
        method: 'POST',
        headers: { authorization: `Bearer ${site.token}` },
        body: new URLSearchParams({ name: `while full ${i}` }),
      });
      assert.equal(again.status, 503, await again.text());
    }
    const told = errorLines(gateway());
    assert.deepEqual(
      told.map((line) => line.msg),
      ['redis is full (maxmemory)'],
      gateway().logs,
    );
    assert.match(told[0].err, /^OOM command not allowed/);
    assert.equal(told[0].call, 'POST /api/import/createJob');

    // No service can take work: each says why it is not ready.
    assert.deepEqual(
      await readiness(),
      stack.services.map((s) => `${s.name} 503 redis is full (maxmemory)`),
    );
  } finally {
    await stack.redis.config('SET', 'maxmemory', '0');
  }

  const room = await stack.call('/api/import/createJob', site.token, {
    name: 'with room',
  });
  assert.equal(room.status, 200, JSON.stringify(room.body));
  // Its end is one line too, once the gateway reads that there is room.
  const ended = await waitUntil(
    () => logLines(gateway()).find((l) => l.msg === 'redis has room again'),
    { timeoutMs: 20_000, message: () => gateway().logs },
  );
  assert.ok(ended.calls >= 5, JSON.stringify(ended));
  assert.equal(errorLines(gateway()).length, 1, gateway().logs);
  assert.deepEqual(
    await readiness(),
    stack.services.map((s) => `${s.name} 200`),
  );
});
