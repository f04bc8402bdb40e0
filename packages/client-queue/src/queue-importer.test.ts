import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { IngestApiError } from '@ingest/client';
import { openQueue } from '@ingest/queue';
import { RedisServer } from '@ingest/testkit';
import { Redis } from 'ioredis';
import { QueueImporter, RedisUnreachableError } from './index';

describe('QueueImporter without a reachable Redis', () => {
  it('fails enqueueImport after connectTimeoutMs, naming why', async () => {
    // A port nothing listens on any more: every connection is refused.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const importer = new QueueImporter({
      redisUrl: `redis://127.0.0.1:${port}`,
      connectTimeoutMs: 500,
    });
    const started = Date.now();
    try {
      const error = await importer
        .enqueueImport({ v: 1, siteId: 1, source: { url: 'http://127.0.0.1:1/a.wav' } })
        .catch((err: unknown) => err);
      assert.ok(error instanceof RedisUnreachableError, String(error));
      assert.equal(error.address, `127.0.0.1:${port}`);
      assert.match(error.message, /did not answer within 500 ms: .*ECONNREFUSED/);
      assert.ok(Date.now() - started < 3_000);
    } finally {
      await importer.close();
    }
  });
});

describe('QueueImporter against a full Redis', () => {
  it('throws 503 not_ready as the API answers, and queues once there is room', async () => {
    const server = await RedisServer.start();
    const admin = new Redis(server.url);
    const importer = new QueueImporter({ redisUrl: server.url });
    const imports = openQueue('imports', admin);
    const payload = {
      v: 1 as const,
      siteId: 1,
      source: { url: 'http://127.0.0.1:1/a.wav' },
    };
    try {
      const info = await admin.info('memory');
      const used = Number(/^used_memory:(\d+)/m.exec(info)![1]);
      // Below what is used: every write is refused.
      await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
      const error = await importer
        .enqueueImport(payload)
        .catch((err: unknown) => err);
      await admin.config('SET', 'maxmemory', '0');

      assert.ok(error instanceof IngestApiError, String(error));
      assert.equal(error.code, 'not_ready');
      assert.equal(error.status, 503);
      assert.equal(error.endpoint, 'queue:imports');
      assert.equal(
        error.message,
        'the service is out of room for new work; retry later',
      );
      // Redis's own answer stays at hand for the producer's logs.
      assert.match(String((error.cause as Error).message), /^OOM command/);
      assert.equal((await imports.getJobCounts('waiting')).waiting, 0);

      const id = await importer.enqueueImport(payload);
      assert.equal(await imports.getJobState(id), 'waiting');
    } finally {
      await importer.close();
      await imports.close();
      admin.disconnect();
      await server.close();
    }
  });
});
