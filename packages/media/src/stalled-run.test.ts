import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import { countingOutputArgs } from './transcode-args';

/**
 * A run stopped at its time limit is `stalled` when it had put no
 * decoded audio on its counted pipe for the last half of the limit, and
 * `timeout` when it was still putting some out (slow, not stuck).
 */
const dir = mkdtempSync(join(tmpdir(), 'stalled-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runnerOf(name: string, body: string) {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return createToolRunner({ ...defaultBinaryPaths(), ffmpegPath: file });
}

async function stoppedAs(
  name: string,
  body: string,
  countedPipes: number,
): Promise<MediaError> {
  const runner = runnerOf(name, body);
  const run = runner.run({ tool: 'ffmpeg', args: [], timeoutMs: 2000, countedPipes });
  const error = await run.then(
    () => assert.fail('the run should have been stopped'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MediaError, String(error));
  return error;
}

test('a run that decoded once, then nothing, is stalled', async () => {
  const error = await stoppedAs('stuck', 'printf x >&3\nexec sleep 60', 1);
  assert.equal(error.code, 'stalled');
  assert.match(error.message, /decoded nothing in its last \d+ s/);
  assert.ok(Number(error.details.quietMs) >= 1000, String(error.details.quietMs));
});

test('a run still decoding at its limit is a timeout', async () => {
  const busy = 'while :; do printf x >&3; sleep 0.05; done';
  const error = await stoppedAs('busy', busy, 1);
  assert.equal(error.code, 'timeout');
});

test('a run with nothing to count is a timeout, not a stall', async () => {
  const error = await stoppedAs('silent', 'exec sleep 60', 0);
  assert.equal(error.code, 'timeout');
});

test('a run decoding at real time is a timeout, however seldom its pipe is written', async () => {
  // 8 kHz counted as 8000 bytes a second: ffmpeg writes the pipe once per
  // 32 KiB buffer, every 4 s of audio, so a 3 s limit met it still quiet.
  const { ffmpegPath } = defaultBinaryPaths();
  const source = join(dir, 'low-rate.wav');
  execFileSync(ffmpegPath, [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi'],
    ...['-i', 'sine=frequency=440:sample_rate=8000:duration=20', source],
  ]);
  const runner = createToolRunner(defaultBinaryPaths());
  const run = runner.run({
    tool: 'ffmpeg',
    // -re: read no faster than it plays, as on a machine too busy to keep up.
    args: ['-nostdin', '-re', '-i', source, ...countingOutputArgs(0, 3, 8000)],
    timeoutMs: 3000,
    countedPipes: 1,
    countingRates: [8000],
  });
  const error = await run.then(
    () => assert.fail('the run should have been stopped'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MediaError, String(error));
  assert.equal(error.code, 'timeout', error.message);
});
