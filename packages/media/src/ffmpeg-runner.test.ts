import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner, loggableArgs } from './ffmpeg-runner';
import { MediaError } from './media-error';

test('an argv the kernel refuses is a MediaError, not a raw throw', async () => {
  const runner = createToolRunner(defaultBinaryPaths());
  // One argument over Linux's 128 KiB: spawn throws E2BIG synchronously.
  const huge = 'x'.repeat(200 * 1024);
  await assert.rejects(
    runner.run({ tool: 'ffmpeg', args: ['-version', huge], timeoutMs: 5000 }),
    (error: unknown) => {
      assert.ok(error instanceof MediaError, String(error));
      assert.equal(error.code, 'transcode_failed');
      assert.match(error.message, /could not be started: .*E2BIG/);
      return true;
    },
  );
});

test('a tool killed by a signal is a crash; an exit code is its answer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  const tool = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho 'half a line' >&2\n${body}\n`);
    chmodSync(file, 0o755);
    return createToolRunner({ ...defaultBinaryPaths(), ffprobePath: file });
  };
  try {
    const aborting = tool('aborting', 'kill -ABRT $$');
    await assert.rejects(
      aborting.run({ tool: 'ffprobe', args: [], timeoutMs: 5000 }),
      (error: unknown) => {
        assert.ok(error instanceof MediaError, String(error));
        assert.equal(error.code, 'transcode_failed');
        assert.equal(error.message, 'ffprobe was killed by SIGABRT: half a line');
        return true;
      },
    );
    const failing = tool('failing', 'exit 3');
    const run = await failing.run({ tool: 'ffprobe', args: [], timeoutMs: 5000 });
    assert.equal(run.exitCode, 3);
    assert.deepEqual(run.stderrTail, ['half a line']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the logged argv holds tag names and lengths, not tag values', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = { debug: (fields: Record<string, unknown>) => lines.push(fields), warn() {} };
  const runner = createToolRunner(defaultBinaryPaths(), logger);
  const lyrics = 'every word of the song '.repeat(100);
  const args = [
    '-version',
    '-metadata', `lyrics=${lyrics}`,
    '-metadata:s:a:0', 'title=Secret Title',
    '-metadata', 'comment',
  ];
  await runner.run({ tool: 'ffmpeg', args, timeoutMs: 5000 });
  const logged = JSON.stringify(lines);
  assert.doesNotMatch(logged, /every word|Secret Title/);
  const expected = [
    '-version',
    '-metadata', `lyrics=<${lyrics.length} bytes>`,
    '-metadata:s:a:0', 'title=<12 bytes>',
    '-metadata', '<7 bytes>',
  ];
  assert.deepEqual(loggableArgs(args), expected);
  // What was logged, not only the helper: a line without the argv would
  // pass the check above.
  assert.deepEqual(lines.map((line) => line.args), [expected]);
});
