/**
 * Fault: ffmpeg runs past INGEST_TRANSCODE_TIMEOUT. A run stuck on its
 * source (it decodes nothing) is stopped once and its upload errors
 * `transcode_timeout` at once: retrying it held a transcoder slot for
 * three limits. A run that is slow but still decoding is retried (a busy
 * machine may finish next time), then errors `transcode_timeout` with a
 * reason that names the setting and what to do (it errored `internal`
 * once, saying only "ffmpeg took longer than 3000 ms and was stopped").
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  ffmpegWrapper,
  hangWhenArgument,
  makeTone,
  serveFiles,
  slowWhenArgument,
  webhookReceiver,
  type LoopbackServer,
  type WebhookReceiver,
} from '@ingest/testkit';
import { titledUploads } from './fault-kit';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let receiver: WebhookReceiver;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-timeout-'));
  await makeTone(path.join(dir, 'a.wav'), { seconds: 2 });
  // Read at its own pace, it takes 15 s: past the limit on every try.
  await makeTone(path.join(dir, 'long.wav'), { seconds: 15 });
  // The real ffmpeg, except that a run given the title "Hang Me" hangs
  // and one given "Slow Me" reads its source no faster than it plays.
  const wrapped = await ffmpegWrapper(path.join(dir, 'ffmpeg'), [
    ...hangWhenArgument('*"Hang Me"*'),
    ...slowWhenArgument('*"Slow Me"*'),
  ]);
  files = await serveFiles(dir);
  stack = await TestStack.start({
    env: { FFMPEG_PATH: wrapped, INGEST_TRANSCODE_TIMEOUT: '6s' },
  });
});

after(async () => {
  await receiver?.close();
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a run past the time limit errors transcode_timeout', async () => {
  const site = await stack.createSite();
  receiver = await webhookReceiver(site.secret);
  const { call, upload } = titledUploads(stack, site.token, files.url);
  const hung = await upload('a.wav', 'Hang Me');
  const slow = await upload('long.wav', 'Slow Me');

  const published = await call('publish', { oncomplete: receiver.url });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  // The slow one: three attempts of 6 s, 5 s then 10 s apart.
  const [hook] = await receiver.waitFor(1, 180_000);

  const { errors } = hook.body as {
    errors: Array<{ upload_id: number; error: string; error_code: string }>;
  };
  const errorOf = (id: number) => errors.find((e) => e.upload_id === id);
  assert.equal(errors.length, 2, JSON.stringify(errors));
  assert.equal(errorOf(hung)?.error_code, 'transcode_timeout');
  assert.match(
    errorOf(hung)?.error ?? '',
    new RegExp(
      '^transcode decoded nothing in its last \\d+ s and was stopped at ' +
        'INGEST_TRANSCODE_TIMEOUT \\(6s\\): .* WAV or FLAC',
    ),
  );
  assert.equal(errorOf(slow)?.error_code, 'transcode_timeout');
  assert.match(
    errorOf(slow)?.error ?? '',
    new RegExp(
      '^transcoding failed after 3 attempts: transcode took longer than ' +
        'INGEST_TRANSCODE_TIMEOUT \\(6s\\) and was stopped: .* WAV or FLAC',
    ),
  );

  const list = await call('list', { job_id: published.body.job_id });
  for (const track of list.body.tracks) {
    assert.equal(track.status, 'error');
    assert.equal(track.error_code, 'transcode_timeout');
  }
  for (const error of errors) {
    console.log(`# observed: ${error.error_code}: ${error.error}`);
  }
});
