/**
 * Fault: the disk under Redis's append-only file fills up (under
 * `npm start` it is the data dir's disk, with the sources and renditions).
 * Redis then answers every write, and PING, with `MISCONF` until a write
 * to its disk works again. The gateway answered each API call that
 * writes 500 `internal`, and every `/readyz` said `redis unreachable` of
 * a Redis that answers (found by a day-2 trial on a 200 MB tmpfs). Such
 * calls now answer 503 `not_ready`, to be retried, `/readyz` names the
 * cause, and both recover by themselves once there is room. A gateway or
 * transcoder started meanwhile (a restart, one more replica) failed its
 * start on the catalog id's SET NX, a write, though the id was there to
 * read: it now starts, not ready, and gets ready with the rest.
 *
 * A real full disk needs a small filesystem of its own: a tmpfs, which
 * only root may mount. Skipped, with a message, where mounting fails.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ServiceProcess, freePort, waitUntil } from '@ingest/testkit';
import { fillDisk } from './fault-kit';
import { NO_SMALL_DISK, RedisOnSmallDisk } from './redis-small-disk';

let fixture: RedisOnSmallDisk | undefined;

before(async () => {
  fixture = await RedisOnSmallDisk.start({ name: 'redis-disk' });
});

after(() => fixture?.close());

async function createJob(token: string) {
  const res = await fetch(`${fixture!.url}/api/import/createJob?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'while full' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function readyz(at = fixture!.url) {
  const res = await fetch(`${at}/readyz`);
  return { status: res.status, body: (await res.json()) as { reason?: string } };
}

/** Starts a service without waiting for it to be ready. */
async function spawnOn(name: 'gateway' | 'transcoder'): Promise<ServiceProcess> {
  const { dir, redisServer } = fixture!;
  const port = await freePort();
  return ServiceProcess.spawn(name, {
    port,
    env: {
      [name === 'gateway' ? 'PORT' : 'TRANSCODER_PORT']: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisServer.url,
      INGEST_DATA_DIR: path.join(dir, `data-${name}`),
      // The gateway's store: the catalog it holds is this Redis's.
      STORAGE_URL: `file://${path.join(dir, 'data', 'storage')}`,
      LOG_LEVEL: 'warn',
    },
  });
}

/** Its /readyz answer once it listens; fails if it exits first. */
async function firstReadyz(service: ServiceProcess) {
  const at = `http://127.0.0.1:${service.port}`;
  return waitUntil(
    async () => {
      if (service.child.exitCode !== null) {
        throw new Error(`${service.name} exited ${service.child.exitCode}:\n${service.logs}`);
      }
      return readyz(at).catch(() => undefined);
    },
    { timeoutMs: 30_000, message: () => `${service.name} never listened:\n${service.logs}` },
  );
}

test('a Redis that cannot write its disk: 503 not_ready, and back after', async (t) => {
  if (!fixture) return t.skip(NO_SMALL_DISK);
  const { disk, redis } = fixture;
  const token = await fixture.newSite('disk');

  // No room left, then a write the append-only file cannot take.
  const filler = await fillDisk(disk);
  await redis.set('filler', 'x'.repeat(256 * 1024)).catch(() => {});
  await waitUntil(
    () => redis.set('probe', '1').then(() => false, (err: Error) => /^MISCONF/.test(err.message)),
    { timeoutMs: 10_000, message: 'redis never refused a write' },
  );

  const refused = await createJob(token);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'not_ready');
  const notReady = await readyz();
  assert.equal(notReady.status, 503);
  assert.equal(notReady.body.reason, 'redis cannot write to its disk (MISCONF)');

  // Started now: they start, and are not ready for the same reason.
  const late: ServiceProcess[] = [];
  try {
    for (const name of ['gateway', 'transcoder'] as const) {
      const service = await spawnOn(name);
      late.push(service);
      const first = await firstReadyz(service);
      assert.equal(first.status, 503, `${name}: ${JSON.stringify(first.body)}`);
      assert.equal(first.body.reason, 'redis cannot write to its disk (MISCONF)');
    }

    await rm(filler);
    await waitUntil(async () => (await readyz()).status === 200, { timeoutMs: 15_000 });
    for (const service of late) await service.waitReady(15_000);
  } finally {
    for (const service of late) await service.stop('SIGTERM');
  }
  const taken = await createJob(token);
  assert.equal(taken.status, 200, JSON.stringify(taken.body));
});
