/**
 * Ctrl-C of `npm start` while an upload is still arriving and a
 * transcode runs: each service drains its work before it exits, which
 * took up to half a minute apiece with nothing but JSON log lines. One
 * plain line on stderr must say what it waits for, and for how long.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { IngestClient } from '@ingest/client';
import {
  ffmpegWrapper,
  freePort,
  heldSource,
  makeTone,
  serveFiles,
  waitUntil,
} from '@ingest/testkit';
import { bannerLine, processesOf, startStack } from './stack-processes';

test('Ctrl-C with an upload and a transcode in flight says what it waits for', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-stop-waits-'));
  const dataDir = path.join(dir, 'data');
  await makeTone(path.join(dir, 'first.wav'), { seconds: 1 });
  await makeTone(path.join(dir, 'second.wav'), { seconds: 1, frequency: 880 });
  const files = await serveFiles(dir);
  const slow = await heldSource(await readFile(path.join(dir, 'second.wav')));
  // The transcoder's ffmpeg runs (their output goes to its work dir)
  // wait for a file this test writes: a transcode runs until then.
  const held = path.join(dir, 'held');
  const go = path.join(dir, 'go');
  const ffmpeg = await ffmpegWrapper(path.join(dir, 'ffmpeg'), [
    'for arg in "$@"; do',
    '  case "$arg" in */work/transcoder-*)',
    `    touch '${held}'`,
    `    while [ ! -e '${go}' ]; do sleep 0.1; done`,
    '    break',
    '  esac',
    'done',
  ]);
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    FFMPEG_PATH: ffmpeg,
    // Hand-back after 15 s (the deadline less 5 s) in each service.
    INGEST_SHUTDOWN_TIMEOUT: '20s',
    LOG_LEVEL: 'warn',
  });
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    await waitUntil(() => start.output().includes('Ctrl-C stops everything'), {
      timeoutMs: 10_000,
      message: () => `banner cut short:\n${start.output()}`,
    });
    const client = new IngestClient({
      url: bannerLine(start.output(), 'API').replace(/\/api\/.*$/, ''),
      token: bannerLine(start.output(), 'token'),
    });
    await client.upload({ url: `${files.url}/first.wav` });
    await client.publish();
    await waitUntil(() => access(held).then(() => true, () => false), {
      timeoutMs: 60_000,
      message: () => `no transcode started:\n${start.output()}`,
    });
    const upload = client.upload({ url: slow.url }).catch((err: Error) => err);
    await slow.fetched;

    process.kill(start.pid, 'SIGINT');
    await waitUntil(() => start.errors().includes('stopping:'), {
      timeoutMs: 30_000,
      message: () => `no stopping line:\n${start.output()}`,
    });
    assert.deepEqual(
      start.errors().split('\n').filter((line) => line.startsWith('stopping:')),
      [
        'stopping: waiting up to 30 s for 1 upload and 1 transcode in flight, ' +
          'then cutting short what is left',
      ],
    );

    // Let both finish: the stop ends as it would have.
    slow.release();
    await writeFile(go, '');
    assert.equal(await start.exited, 0, start.output());
    assert.ok(!((await upload) instanceof Error), String(await upload));
  } finally {
    await writeFile(go, '');
    await start.stop();
    await slow.close();
    await files.close();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});
