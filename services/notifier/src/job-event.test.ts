import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job, Site, Track, TrackUpdate, Upload } from '@ingest/core';
import { planDeliveries } from './delivery-plan';
import { isSingleAddress, maskAddress } from '@ingest/core';
import { renderSummary } from './email-summary';
import { buildJobEvent, eventIdOf } from './job-event';

const job: Job = {
  id: 12,
  siteId: 3,
  name: 'Spring <batch>',
  created: false,
  state: 'complete',
  createdAt: '2025-01-01T00:00:00.000Z',
  completedAt: '2025-01-01T01:00:00.000Z',
};

function upload(id: number, patch: Partial<Upload>): Upload {
  return {
    id,
    siteId: 3,
    jobId: 12,
    status: 'published',
    formats: ['mp3'],
    sources: {},
    meta: {},
    createdAt: job.createdAt,
    ...patch,
  };
}

const rendition = (format: 'mp3' | 'wav', bytes: number) => ({
  format,
  storageKey: `t/${format}`,
  bytes,
  sha256: `sha-${format}`,
  duration: 12.5,
  sampleRate: 44100,
  channels: 2,
  codec: format,
});

const track: Track = {
  id: 40,
  siteId: 3,
  uploadId: 21,
  jobId: 12,
  meta: { Title: 'x' },
  renditions: { wav: rendition('wav', 2000), mp3: rendition('mp3', 500) },
  createdAt: job.createdAt,
};

const input = {
  job,
  counts: { q: 0, i: 0, d: 1, e: 1 },
  uploads: [
    upload(22, {
      status: 'error',
      error: 'no audio stream',
      errorCode: 'no_audio',
    }),
    upload(21, { trackId: 40 }),
  ],
  tracks: [track],
  publicUrl: 'https://ingest.example.com',
  now: new Date('2030-01-01T00:00:00Z'),
};

test('the event has the SPEC §4 shape', () => {
  assert.deepEqual(buildJobEvent(input), {
    type: 'job.completed',
    job_id: 12,
    state: 'complete',
    counts: { q: 0, i: 0, d: 1, e: 1 },
    tracks: [
      {
        track_id: 40,
        upload_id: 21,
        formats: {
          mp3: {
            bytes: 500,
            sha256: 'sha-mp3',
            duration: 12.5,
            url:
              'https://ingest.example.com/api/tracks/download' +
              '?track_id=40&format=mp3',
          },
          wav: {
            bytes: 2000,
            sha256: 'sha-wav',
            duration: 12.5,
            url:
              'https://ingest.example.com/api/tracks/download' +
              '?track_id=40&format=wav',
          },
        },
      },
    ],
    errors: [
      { upload_id: 22, error: 'no audio stream', error_code: 'no_audio' },
    ],
    completed_at: '2025-01-01T01:00:00.000Z',
  });
});

test('the event id is deterministic per job and prefixed', () => {
  const id = eventIdOf(job);
  assert.match(id, /^evt_12_[0-9a-f]{20}$/);
  assert.equal(eventIdOf({ ...job }), id);
  assert.notEqual(eventIdOf({ ...job, createdAt: 'later' }), id);
});

const site: Site = {
  id: 3,
  name: 's',
  contactEmail: 'ops@example.com',
  webhookSecret: 'whsec_x',
  customFields: [],
};

test('deliveries follow oncomplete and createJob', () => {
  const url = 'https://h.example/x?t=1';
  const hook = planDeliveries({ ...job, oncomplete: url }, site);
  assert.deepEqual(hook.deliveries, [
    { channel: 'webhook', url },
  ]);

  const created = planDeliveries(
    { ...job, created: true, oncomplete: 'a@example.com' },
    site,
  );
  assert.deepEqual(created.deliveries, [
    { channel: 'email', to: 'a@example.com', reason: 'oncomplete' },
    { channel: 'email', to: 'ops@example.com', reason: 'job-email' },
  ]);

  const same = planDeliveries(
    {
      ...job,
      created: true,
      email: 'A@example.com',
      oncomplete: 'a@example.com',
    },
    site,
  );
  assert.equal(same.deliveries.length, 1);

  const bad = planDeliveries({ ...job, oncomplete: 'ftp://x' }, site);
  assert.deepEqual(bad, { deliveries: [], skipped: 1 });
});

test('header addresses must be one plain mailbox', () => {
  assert.ok(isSingleAddress('jane.doe+tag@example.co.uk'));
  assert.ok(isSingleAddress('ops@123.example'));
  assert.ok(isSingleAddress('ops@mail.xn--p1ai'));
  for (const bad of [
    'a@example.com\r\nBcc: b@example.com',
    'a@example.com, b@example.com',
    'Jane <a@example.com>',
    'a@example.com\n',
    'a@localhost',
    'a@127.0.0.1',
    'a@10.0.0.8',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    `${'a'.repeat(65)}@example.com`,
    '',
  ]) {
    assert.equal(isSingleAddress(bad), false, JSON.stringify(bad));
  }
  assert.equal(maskAddress('jane@example.com'), 'j***@example.com');
  assert.equal(maskAddress('x\r\n@evil'), '[invalid address]');
});

test('the summary escapes client text and keeps headers fixed', () => {
  const event = buildJobEvent(input);
  const summary = renderSummary({
    reason: 'oncomplete',
    event,
    jobName: job.name,
  });
  assert.equal(summary.subject, 'Job 12 complete: 1 published, 1 failed');
  assert.match(summary.text, /Spring <batch>/);
  assert.match(summary.html, /Spring &lt;batch&gt;/);
  assert.match(summary.text, /Upload 22: no audio stream \[no_audio\]/);
  assert.match(summary.html, /<a href="https:\/\/ingest\.example\.com/);
});

test('a webhook refused for its address tells the contact why', () => {
  const event = buildJobEvent(input);
  const summary = renderSummary({
    reason: 'webhook-exhausted',
    event,
    jobName: '',
    webhook: {
      origin: 'http://10.0.0.8',
      attempts: 1,
      lastError: 'address_not_allowed',
    },
  });
  assert.equal(summary.subject, 'Job 12: webhook delivery failed');
  assert.match(summary.text, /to http:\/\/10\.0\.0\.8 failed once and/);
  assert.match(summary.text, /private, loopback or link-local address/);

  const redirected = renderSummary({
    reason: 'webhook-exhausted',
    event,
    jobName: '',
    webhook: { origin: 'http://hooks.test', attempts: 8, lastError: 'HTTP 308' },
  });
  assert.match(redirected.text, /failed 8 times/);
  assert.match(redirected.text, /Give the final URL as oncomplete/);
});

function update(id: number, patch: Partial<TrackUpdate>): TrackUpdate {
  return {
    id,
    siteId: 3,
    trackId: 40,
    uploadId: 21,
    jobId: 12,
    immediate: false,
    status: 'published',
    formats: ['mp3'],
    sources: {},
    createdAt: job.createdAt,
    ...patch,
  };
}

test("a job's updates are listed apart from its uploads", () => {
  const event = buildJobEvent({
    ...input,
    uploads: [],
    counts: { q: 0, i: 0, d: 2, e: 2 },
    updates: [
      update(7, { status: 'error', error: 'too long', errorCode: 'verification_failed' }),
      update(5, {}),
      // Its track was deleted since: no renditions to name.
      update(6, { trackId: 41 }),
      update(8, { status: 'error', trackId: 41 }),
      update(9, { status: 'queued' }),
    ],
  });
  // tracks and errors are the job's uploads, as SourceAudio clients read them.
  assert.deepEqual([event.tracks, event.errors], [[], []]);
  const formats = buildJobEvent({ ...input }).tracks[0].formats;
  assert.deepEqual(event.updates, [
    { update_id: 5, track_id: 40, status: 'published', formats },
    { update_id: 6, track_id: 41, status: 'published' },
    {
      update_id: 7,
      track_id: 40,
      status: 'error',
      error: 'too long',
      error_code: 'verification_failed',
    },
    { update_id: 8, track_id: 41, status: 'error', error: 'failed', error_code: 'internal' },
  ]);
  // A job of uploads alone reads as before: no updates field.
  assert.equal('updates' in buildJobEvent(input), false);

  const summary = renderSummary({ reason: 'oncomplete', event, jobName: '' });
  assert.match(summary.text, /Update 5 of track 40: published/);
  assert.match(summary.text, /Update 7 of track 40: too long \[verification_failed\]/);
  assert.doesNotMatch(summary.text, /Failed uploads/);
});
