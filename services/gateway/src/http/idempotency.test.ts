import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Request } from 'express';
import { ApiError } from '@ingest/core';
import { idempotencyKeyOf, requestFingerprint } from './idempotency';
import { addJson, addPair, emptyParams } from './params';

function params(pairs: Record<string, string>) {
  const p = emptyParams();
  for (const [key, value] of Object.entries(pairs)) addPair(p, key, value);
  return p;
}

test('the same call has one fingerprint whatever its encoding', () => {
  const form = params({ token: 'a', job_id: '3', 'meta[Title]': 'T' });
  const json = emptyParams();
  addJson(json, { meta: { Title: 'T' }, job_id: 3 });
  const otherToken = params({ 'meta[Title]': 'T', job_id: '3', token: 'b' });

  const path = '/api/import/upload';
  const fingerprint = requestFingerprint(path, form, 'sha');
  assert.equal(requestFingerprint(path, json, 'sha'), fingerprint);
  assert.equal(requestFingerprint(path, otherToken, 'sha'), fingerprint);
});

test('endpoint, parameters, meta and file bytes all tell calls apart', () => {
  const base = params({ job_id: '3' });
  const path = '/api/import/upload';
  const fingerprint = requestFingerprint(path, base, 'sha-a');
  const others = [
    requestFingerprint('/api/import/publish', base, 'sha-a'),
    requestFingerprint(path, params({ job_id: '4' }), 'sha-a'),
    requestFingerprint(path, params({ job_id: '3', 'meta[A]': '' }), 'sha-a'),
    requestFingerprint(path, base, 'sha-b'),
    requestFingerprint(path, base),
  ];
  assert.equal(new Set([fingerprint, ...others]).size, 6);
});

test('an Idempotency-Key must be one short visible ASCII value', () => {
  const req = (value?: string | string[]) =>
    ({ headers: value === undefined ? {} : { 'idempotency-key': value } }) as
      unknown as Request;
  assert.equal(idempotencyKeyOf(req()), undefined);
  assert.equal(idempotencyKeyOf(req('order-17')), 'order-17');
  for (const bad of ['', 'a b', 'x'.repeat(256), 'é', ['a', 'b']]) {
    assert.throws(
      () => idempotencyKeyOf(req(bad)),
      (err) => err instanceof ApiError && err.code === 'invalid_parameter',
      String(bad),
    );
  }
});

test('a list has one fingerprint as text, as name[]= or as JSON', () => {
  const path = '/api/import/upload';
  const asText = params({ job_id: '3', formats: 'mp3,wav' });
  const fingerprint = requestFingerprint(path, asText);
  const json = emptyParams();
  addJson(json, { job_id: '3', formats: ['WAV', ' mp3', 'mp3'] });
  const same = [
    params({ job_id: '3', 'formats[]': 'mp3' }),
    params({ job_id: '3', formats: ' MP3 , wav,' }),
    json,
  ];
  addPair(same[0], 'formats[]', 'wav');
  for (const p of same) assert.equal(requestFingerprint(path, p), fingerprint);

  const fewer = params({ job_id: '3', formats: 'mp3' });
  assert.notEqual(requestFingerprint(path, fewer), fingerprint);
  assert.notEqual(requestFingerprint(path, params({ job_id: '3' })), fingerprint);
});
