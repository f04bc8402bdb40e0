import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notWaitingError, pastWaiting } from './not-waiting';

test('a 409 says the upload was published, not that it "is queued"', () => {
  const error = notWaitingError('upload 323', 'queued', 'it can no longer change');
  assert.equal(error.code, 'upload_not_queued');
  assert.equal(error.status, 409);
  assert.equal(
    error.message,
    'upload 323 was published and waits for a transcoder; it can no longer change',
  );
  assert.deepEqual(error.toBody(), {
    error: error.message,
    code: 'upload_not_queued',
    status: 'queued',
  });
});

test('every status past waiting has its own words', () => {
  assert.equal(pastWaiting('transcoding'), 'was published and is being transcoded');
  assert.equal(pastWaiting('published'), 'was published and transcoded');
  assert.equal(pastWaiting('error'), 'was published and failed');
  // An immediate update is never published: it goes to a transcoder at once.
  assert.equal(
    pastWaiting('queued', true),
    'went to the transcoders at once (immediate) and waits for a transcoder',
  );
});
