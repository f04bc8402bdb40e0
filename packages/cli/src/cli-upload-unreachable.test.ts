import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonOf, runIngest } from './testing/run-ingest';

/** A loopback port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ingest upload of a folder to a gateway that cannot be reached', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-unreachable-'));
    for (const name of ['a.wav', 'b.wav', 'c.wav']) {
      await writeFile(path.join(dir, name), `not really audio ${name}`);
    }
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('stops after the first network error, the rest not sent, exit 2', async () => {
    const env = { INGEST_URL: `http://127.0.0.1:${await closedPort()}`, INGEST_TOKEN: 't' };
    // Each file paid the SDK's retries again: a folder of 300, an hour.
    const result = await runIngest(['upload', dir, '--json'], env);

    assert.equal(result.code, 2, result.stderr);
    const body = jsonOf(result);
    assert.deepEqual(
      body.uploads.map((u: { source: string; code: string }) => [u.source, u.code]),
      [[path.join(dir, 'a.wav'), 'network_error']],
    );
    assert.equal(body.not_sent, 2);
    assert.match(result.stderr, /stopped; 2 source\(s\) not sent/);
  });
});
