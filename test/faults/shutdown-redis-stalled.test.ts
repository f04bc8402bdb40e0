/**
 * Fault: Redis stops answering (a stalled host, a full network buffer)
 * just as the services are told to stop. A QUIT then never gets its
 * reply, which held the notifier until its shutdown deadline and made it
 * exit 1. The notifier now gives its QUIT 1 s, then drops the
 * connection (the gateway and transcoders drop theirs without a QUIT);
 * every service exits 0 in time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestStack } from '@ingest/testkit';

const DEADLINE_MS = 10_000;
let stack: TestStack;
let stalled: number | undefined;

before(async () => {
  stack = await TestStack.start({
    env: { INGEST_SHUTDOWN_TIMEOUT: `${DEADLINE_MS}ms` },
    transcoders: 1,
  });
});

after(async () => {
  if (stalled !== undefined) process.kill(stalled, 'SIGCONT');
  await stack?.close();
});

test('a stalled Redis at shutdown: every service still exits 0 in time', async () => {
  stalled = stack.redisServer.pid!;
  process.kill(stalled, 'SIGSTOP');

  const codes = await Promise.all(
    stack.services.map(async (service) => [service.name, await service.stop()]),
  );
  // Exit 0: each one's steps ended before the deadline (past it, exit 1).
  for (const [name, code] of codes) {
    assert.equal(code, 0, `${name} exited ${code}:\n${stack.logs}`);
  }
});
