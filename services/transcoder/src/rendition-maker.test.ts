import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryableFault, UploadFault, finalFailure } from './rendition-maker';

// What an upload errors with, by the failure and the attempt it ended.

test("a source's fault ends the upload at once, with its own code", () => {
  const fault = new UploadFault('truncated', 'truncated: header says 9 s');
  assert.deepEqual(finalFailure(fault, 1, false, 'transcoding'), {
    code: 'truncated',
    reason: 'truncated: header says 9 s',
  });
});

test('other failures are retried until the last attempt', () => {
  const crash = new RetryableFault('transcode_failed', 'ffmpeg failed');
  assert.equal(finalFailure(crash, 1, false, 'transcoding'), undefined);
  assert.equal(finalFailure(new Error('boom'), 2, false, 'update'), undefined);
});

test('the last attempt keeps a named failure code, else internal', () => {
  const crash = new RetryableFault('transcode_failed', 'ffmpeg was killed by SIGSEGV');
  assert.deepEqual(finalFailure(crash, 3, true, 'transcoding'), {
    code: 'transcode_failed',
    reason:
      'transcoding failed after 3 attempts: ffmpeg was killed by SIGSEGV',
  });
  assert.deepEqual(finalFailure(new Error('redis gone'), 3, true, 'update'), {
    code: 'internal',
    reason: 'update failed after 3 attempts: redis gone',
  });
});
