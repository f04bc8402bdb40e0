/**
 * What `npm start` prints is enough to use it: the inbound queue
 * (docs/inbound-queue.md) takes a `siteId`, and the banner gave only the
 * token, so a new user had no way to learn the id but the internal
 * StateStore.siteByToken. The banner's site id, sent with the banner's
 * Redis, must make an upload of the site whose token the banner gives.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { QueueImporter } from '@ingest/client-queue';
import { freePort, makeTone, serveFiles, waitUntil } from '@ingest/testkit';
import { bannerLine, processesOf, startStack } from './stack-processes';

test("npm start's banner gives the site id the inbound queue needs", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-banner-'));
  const dataDir = path.join(dir, 'data');
  await makeTone(path.join(dir, 'first-light.wav'), { seconds: 1 });
  const files = await serveFiles(dir);
  const port = await freePort();
  const opsPort = await freePort();
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    PORT: String(port),
    GATEWAY_OPS_PORT: String(opsPort),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  let importer: QueueImporter | undefined;
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    await waitUntil(() => start.output().includes('Ctrl-C stops everything'), {
      timeoutMs: 10_000,
      message: () => `banner cut short:\n${start.output()}`,
    });
    const output = start.output();
    const siteId = Number(bannerLine(output, 'site id'));
    assert.ok(Number.isInteger(siteId) && siteId > 0, output);
    const token = bannerLine(output, 'token');
    // The probes' and scrapes' port, when set, is told as well.
    assert.equal(bannerLine(output, 'ops port'), `http://localhost:${opsPort}`);
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status, 200);

    importer = new QueueImporter({ redisUrl: bannerLine(output, 'redis') });
    const id = await importer.enqueueImport({
      v: 1,
      siteId,
      source: { url: `${files.url}/first-light.wav` },
    });
    const answer = await importer.waitForImport(id, { timeoutMs: 60_000 });

    // The upload is the token's site's: its main job lists it.
    const res = await fetch(`http://127.0.0.1:${port}/api/import/list`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const listed = (await res.json()) as { tracks: { upload_id: number }[] };
    assert.equal(res.status, 200, JSON.stringify(listed));
    assert.deepEqual(
      listed.tracks.map((t) => t.upload_id),
      [answer.upload_id],
    );
  } finally {
    await importer?.close();
    await start.stop();
    await files.close();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});
