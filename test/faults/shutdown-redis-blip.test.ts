/**
 * Fault: Redis restarts just as the services are told to stop. BullMQ's
 * Worker.close() may then never resolve (its connection went through a
 * reconnect; BullMQ issue 4656), which held every service until its
 * shutdown deadline and made it exit 1. Each now waits for its workers'
 * close only so long, drops their connections, and exits 0 in time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestStack } from '@ingest/testkit';

/**
 * Each service waits for its hung workers until half-way between the
 * hand-back and this deadline (docs/operations.md): 3.75 s of 5 s left
 * only 1.25 s for the other steps and the exit. From 10 s on the room
 * is 2.5 s, as in production.
 */
const DEADLINE_MS = 10_000;
let stack: TestStack;

before(async () => {
  stack = await TestStack.start({
    env: { INGEST_SHUTDOWN_TIMEOUT: `${DEADLINE_MS}ms` },
    transcoders: 1,
  });
});

after(() => stack?.close());

test('a Redis restart at shutdown: every service still exits 0 in time', async () => {
  await stack.redisServer.stop('SIGKILL');
  const back = new Promise<void>((resolve) =>
    setTimeout(() => void stack.redisServer.resume().then(resolve), 300),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  const codes = await Promise.all(
    stack.services.map(async (service) => [service.name, await service.stop()]),
  );
  await back;
  // Exit 0: each one's steps ended before the deadline (past it, exit 1).
  for (const [name, code] of codes) {
    assert.equal(code, 0, `${name} exited ${code}:\n${stack.logs}`);
  }
});
