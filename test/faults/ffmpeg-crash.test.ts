/**
 * Fault: ffmpeg crashes (SIGSEGV) on every attempt at one upload of a
 * job. That upload is retried, then errors `transcode_failed` with what
 * ffmpeg said; the job's other upload publishes, the job completes and
 * the webhook names the code.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  crashWhenArgument,
  ffmpegWrapper,
  makeTone,
  serveFiles,
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
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-crash-'));
  // Distinct bytes: a job refuses the same file twice.
  await makeTone(path.join(dir, 'a.wav'), { seconds: 2, frequency: 440 });
  await makeTone(path.join(dir, 'b.wav'), { seconds: 2, frequency: 660 });
  // The real ffmpeg, except that a run given the title "Crash Me" says
  // something and dies by SIGSEGV, as a broken build would.
  const crashing = await ffmpegWrapper(
    path.join(dir, 'ffmpeg'),
    crashWhenArgument('*"Crash Me"*', 'lame: internal error'),
  );
  files = await serveFiles(dir);
  stack = await TestStack.start({ env: { FFMPEG_PATH: crashing } });
});

after(async () => {
  await receiver?.close();
  await stack?.close();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a crashing ffmpeg errors its upload transcode_failed', async () => {
  const site = await stack.createSite();
  receiver = await webhookReceiver(site.secret);
  const { call, upload } = titledUploads(stack, site.token, files.url);
  const crashes = await upload('a.wav', 'Crash Me');
  const fine = await upload('b.wav', 'Fine');

  const published = await call('publish', { oncomplete: receiver.url });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;
  // Three attempts, 5 s then 10 s apart.
  const [hook] = await receiver.waitFor(1, 90_000);

  const body = hook.body as {
    counts: unknown;
    tracks: Array<{ upload_id: number }>;
    errors: Array<{ upload_id: number; error: string; error_code: string }>;
  };
  assert.deepEqual(body.counts, { q: 0, i: 0, d: 1, e: 1 });
  assert.equal(body.tracks.length, 1);
  assert.equal(body.tracks[0].upload_id, fine);
  assert.equal(body.errors.length, 1);
  const [error] = body.errors;
  assert.equal(error.upload_id, crashes);
  assert.equal(error.error_code, 'transcode_failed');

  // Each attempt ran its own ffmpeg: three pids in the wrapper's words.
  const pids = new Set(crashLogs(stack.logs).map((said) => said.split(' ')[0]));
  assert.equal(pids.size, 3, stack.logs);
  const ffmpegSaid = 'ffmpeg was killed by SIGSEGV: ';
  assert.match(error.error, /^transcoding failed after 3 attempts: /);
  const lastSaid = `${[...pids].at(-1)} lame: internal error`;
  assert.ok(error.error.endsWith(ffmpegSaid + lastSaid), error.error);

  const list = await call('list', { job_id: jobId });
  const row = list.body.tracks.find((t: any) => t.upload_id === crashes);
  assert.equal(row.status, 'error');
  assert.equal(row.error_code, 'transcode_failed');
  console.log(`# observed: ${error.error_code}: ${error.error}`);
});

/** The stderr lines of ffmpeg runs the services logged as crashed. */
function crashLogs(logs: string): string[] {
  const said: string[] = [];
  for (const line of logs.split('\n')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a header line, or one cut off by the kept tail
    }
    if (entry?.exitSignal === 'SIGSEGV') said.push(...entry.stderr);
  }
  return said;
}
