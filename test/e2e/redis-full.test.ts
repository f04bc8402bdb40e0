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
import { TestStack, type TestSite } from '@ingest/testkit';

let stack: TestStack;
let site: TestSite;

before(async () => {
  stack = await TestStack.start({ transcoders: 1 });
  site = await stack.createSite();
});

after(() => stack?.close());

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
    const gateway = stack.services.find((s) => s.name === 'gateway')!;
    assert.match(gateway.logs, /redis is full \(maxmemory\)/);

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
  assert.deepEqual(
    await readiness(),
    stack.services.map((s) => `${s.name} 200`),
  );
});
