import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';

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
