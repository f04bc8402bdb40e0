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
    { jobId: 4, url: 'https://***@hooks.example.com/***?***' },
  );
  assert.deepEqual(redactJobData({ url: 'not a url', to: 'nobody' }), {
    url: '***',
    to: '[invalid address]',
  });
});

test('payloads without such fields pass unchanged', () => {
  const data = { uploadId: 7, requestId: 'r1' };
  assert.deepEqual(redactJobData(data), data);
  assert.equal(redactJobData(null), null);
  assert.equal(redactJobData('text'), 'text');
});

test('inbound imports: source URL and oncomplete are masked', () => {
  assert.deepEqual(
    redactJobData({
      v: 1,
      siteId: 3,
      source: { url: 'https://cdn.example.com/a.wav?sig=s3cret' },
      oncomplete: 'someone@example.com',
    }),
    {
      v: 1,
      siteId: 3,
      source: { url: 'https://cdn.example.com/a.wav?***' },
      oncomplete: 's***@example.com',
    },
  );
  assert.deepEqual(
    redactJobData({ oncomplete: 'https://hooks.example.com/in?key=k' }),
    { oncomplete: 'https://hooks.example.com/***?***' },
  );
  const stored = { source: { storageKey: 'inbound/a.wav', filename: 'a.wav' } };
  assert.deepEqual(redactJobData(stored), stored);
});

test('a token an import payload should not carry is masked', () => {
  assert.deepEqual(
    redactJobData({ v: 1, siteId: 2, token: 'tok_live_secret' }),
    { v: 1, siteId: 2, token: '***' },
  );
});

test("a webhook's path, which may be its secret, is masked; a source's is not", () => {
  const slack = 'https://hooks.slack.example/services/T0/B0/s3cretPath';
  assert.deepEqual(redactJobData({ jobId: 1, url: slack }), {
    jobId: 1,
    url: 'https://hooks.slack.example/***',
  });
  assert.deepEqual(redactJobData({ oncomplete: slack }), {
    oncomplete: 'https://hooks.slack.example/***',
  });
  assert.deepEqual(redactJobData({ url: 'https://hooks.example.com/' }), {
    url: 'https://hooks.example.com/',
  });
  const source = { source: { url: 'https://cdn.example.com/album/a.wav' } };
  assert.deepEqual(redactJobData(source), source);
});
