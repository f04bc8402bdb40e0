/**
 * End to end: a folder store that takes no writes (here a file where its
 * temp folder should be; on a real host a full disk or a read-only
 * mount) is an outage, as an S3 store that cannot be reached is: an
 * HTTP upload answers 503 `not_ready`, the gateway is not ready, and a
 * queued import waits it out and is accepted once writes land again.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueImporter } from '@ingest/client-queue';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let importer: QueueImporter;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 'a.wav'), { seconds: 1 }),
    transcoders: 0,
  });
  importer = new QueueImporter({ redisUrl: fixture.stack.redisServer.url });
});

after(async () => {
  await importer?.close();
  await fixture?.close();
});

const gateway = () =>
  fixture.stack.services.find((s) => s.name === 'gateway')!;

test('a store that takes no writes: 503, not ready, imports wait', async () => {
  const { stack, site, files } = fixture;
  const tmp = path.join(stack.dataDir, 'storage', '.tmp');
  await rm(tmp, { recursive: true, force: true });
  await writeFile(tmp, 'in the way');
  try {
    const upload = await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/a.wav`,
    });
    assert.equal(upload.status, 503, JSON.stringify(upload.body));
    assert.equal(upload.body.code, 'not_ready');
    const readyz = await fetch(`${stack.gatewayUrl}/readyz`);
    assert.equal(readyz.status, 503);
    assert.match(await readyz.text(), /storage: .* is not writable/);

    const id = await importer.enqueueImport({
      v: 1,
      siteId: site.id,
      source: { url: `${files.url}/a.wav` },
    });
    await waitUntil(
      () => /imports put back: storage unavailable/.test(gateway().logs),
      { timeoutMs: 30_000 },
    );

    await rm(tmp);
    await mkdir(tmp);
    const answer = await importer.waitForImport(id, { timeoutMs: 60_000 });
    assert.equal(typeof answer.upload_id, 'number', JSON.stringify(answer));
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
  }
});
