import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactJobData } from './job-data-redaction';

test('recipients and webhook secrets are masked; ids stay', () => {
  assert.deepEqual(
    redactJobData({
      jobId: 4,
      eventId: 'evt_1',
      to: 'someone.long@example.com',
      reason: 'oncomplete',
    }),
    { jobId: 4, eventId: 'evt_1', to: 's***@example.com', reason: 'oncomplete' },
  );
  assert.deepEqual(
    redactJobData({ jobId: 4, url: 'https://u:p@hooks.example.com/in?key=s3cret' }),
    { jobId: 4, url: 'https://***@hooks.example.com/in?***' },
  );
  assert.deepEqual(redactJobData({ url: 'not a url', to: 'nobody' }), {
    url: '***',
    to: '***',
  });
});

test('payloads without such fields pass unchanged', () => {
  const data = { uploadId: 7, requestId: 'r1' };
  assert.deepEqual(redactJobData(data), data);
  assert.equal(redactJobData(null), null);
  assert.equal(redactJobData('text'), 'text');
});
