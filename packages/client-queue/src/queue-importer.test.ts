import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
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
