/**
 * Fault: ffmpeg hangs on one upload until INGEST_TRANSCODE_TIMEOUT kills
 * it, on every attempt. The upload is retried (a busy machine may finish
 * next time), then errors `transcode_timeout` with a reason that names
 * the setting and what to do; it errored `internal` before, saying only
 * "ffmpeg took longer than 3000 ms and was stopped".
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
  webhookReceiver,
  type LoopbackServer,
  type WebhookReceiver,
} from '@ingest/testkit';

let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let receiver: WebhookReceiver;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-timeout-'));
  await makeTone(path.join(dir, 'a.wav'), { seconds: 2 });
  // The real ffmpeg, except that a run given the title "Hang Me" hangs.
  const hanging = await ffmpegWrapper(
    path.join(dir, 'ffmpeg'),
    hangWhenArgument('*"Hang Me"*'),
  );
  files = await serveFiles(dir);
  stack = await TestStack.start({
    env: { FFMPEG_PATH: hanging, INGEST_TRANSCODE_TIMEOUT: '3s' },
  });
});

after(async () => {
  await receiver?.close();
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

test('an ffmpeg run past the time limit errors transcode_timeout', async () => {
  const site = await stack.createSite();
  receiver = await webhookReceiver(site.secret);
  const call = (endpoint: string, params: Record<string, unknown>) =>
    stack.call(`/api/import/${endpoint}`, site.token, params);
  const made = await call('upload', {
    url: `${files.url}/a.wav`,
    meta: { Title: 'Hang Me' },
  });
  assert.equal(made.status, 200, JSON.stringify(made.body));

  const published = await call('publish', { oncomplete: receiver.url });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  // Three attempts of 3 s, 5 s then 10 s apart.
  const [hook] = await receiver.waitFor(1, 120_000);

  const { errors } = hook.body as {
    errors: Array<{ upload_id: number; error: string; error_code: string }>;
  };
  assert.equal(errors.length, 1);
  const [error] = errors;
  assert.equal(error.upload_id, made.body.upload_id);
  assert.equal(error.error_code, 'transcode_timeout');
  assert.match(
    error.error,
    new RegExp(
      '^transcoding failed after 3 attempts: transcode took longer than ' +
        'INGEST_TRANSCODE_TIMEOUT \\(3s\\) and was stopped: .* WAV or FLAC',
    ),
  );

  const list = await call('list', { job_id: published.body.job_id });
  assert.equal(list.body.tracks[0].status, 'error');
  assert.equal(list.body.tracks[0].error_code, 'transcode_timeout');
  console.log(`# observed: ${error.error_code}: ${error.error}`);
});
