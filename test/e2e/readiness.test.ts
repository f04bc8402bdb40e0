/**
 * End to end: `/readyz` means the service's dependencies answer (SPEC
 * §6), storage as well as Redis. The gateway and a transcoder go not
 * ready while their file store cannot be written, and ready again once
 * it can, without a restart.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
  });
});

after(() => fixture?.close());

/** Each service's /readyz reason, by name, from the last readiness(). */
let reasons: Record<string, string | undefined> = {};

async function readiness(): Promise<number[]> {
  const answers = await Promise.all(
    fixture.stack.services.map(async (service) => {
      const res = await fetch(`http://127.0.0.1:${service.port}/readyz`, {
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { reason?: string };
      return { name: service.name, status: res.status, reason: body.reason };
    }),
  );
  reasons = Object.fromEntries(answers.map((a) => [a.name, a.reason]));
  return answers.map((a) => a.status);
}

test('storage that cannot be written makes the services not ready', async () => {
  assert.deepEqual(new Set(await readiness()), new Set([200]));

  const root = path.join(fixture.stack.dataDir, 'storage');
  const aside = `${root}.aside`;
  await mkdir(root, { recursive: true });
  await rename(root, aside);
  // A file where the store's directory should be: nothing can be made.
  await writeFile(root, 'not a directory');
  try {
    const statuses = await readiness();
    const byName = Object.fromEntries(
      fixture.stack.services.map((s, i) => [s.name, statuses[i]]),
    );
    for (const [name, status] of Object.entries(byName)) {
      // The notifier keeps no files: it stays ready.
      assert.equal(status, name.startsWith('notifier') ? 200 : 503, name);
      if (status === 503) {
        // The body says what to fix.
        assert.match(reasons[name] ?? '', /storage: .* is not writable/, name);
      }
    }
  } finally {
    await rm(root);
    await rename(aside, root);
  }
  await waitUntil(
    async () => (await readiness()).every((status) => status === 200),
    { timeoutMs: 5_000, message: 'the services did not get ready again' },
  );
});

test('a Redis that does not answer makes every service not ready, promptly', async () => {
  const pid = fixture.stack.redisServer.pid;
  assert.ok(pid, 'the stack runs its own redis-server');
  process.kill(pid, 'SIGSTOP');
  try {
    // A PING to a stopped Redis never answers: only the probe's own
    // time limit (2 s, far inside readiness()'s 15 s) gives the 503.
    const statuses = await readiness();
    assert.deepEqual(new Set(statuses), new Set([503]));
    for (const name of Object.keys(reasons)) {
      assert.equal(reasons[name], 'redis unreachable', name);
    }
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await waitUntil(
    async () => (await readiness()).every((status) => status === 200),
    { timeoutMs: 10_000, message: 'the services did not get ready again' },
  );
});
