import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner } from './ffmpeg-runner';
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
