import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluatePreconditions,
  httpDateOf,
  rangeStillValid,
  type Validators,
} from './conditional-request';

const stored = new Date('2024-05-01T10:00:03.600Z');
const current: Validators = { etag: '"abc"', lastModified: stored };
const noDate: Validators = { etag: '"abc"' };

const LM = 'Wed, 01 May 2024 10:00:03 GMT';
const EARLIER = 'Wed, 01 May 2024 10:00:02 GMT';
const LATER = 'Wed, 01 May 2024 10:00:04 GMT';

test('Last-Modified is sent in whole seconds', () => {
  assert.equal(httpDateOf(stored), LM);
});

test('If-Match: strong comparison, any of a list, or *', () => {
  const run = (value: string) =>
    evaluatePreconditions({ 'if-match': value }, current);
  assert.equal(run('"abc"'), 'proceed');
  assert.equal(run('"x", "abc"'), 'proceed');
  assert.equal(run('*'), 'proceed');
  assert.equal(run('"x"'), 'failed');
  assert.equal(run('W/"abc"'), 'failed');
});

test('If-Unmodified-Since fails a newer file; If-Match overrides it', () => {
  const run = (headers: Record<string, string>, v = current) =>
    evaluatePreconditions(headers, v);
  assert.equal(run({ 'if-unmodified-since': LM }), 'proceed');
  assert.equal(run({ 'if-unmodified-since': EARLIER }), 'failed');
  assert.equal(
    run({ 'if-unmodified-since': EARLIER, 'if-match': '"abc"' }),
    'proceed',
  );
  // Ignored when the date is invalid or the file's is unknown.
  assert.equal(run({ 'if-unmodified-since': 'soon' }), 'proceed');
  assert.equal(run({ 'if-unmodified-since': EARLIER }, noDate), 'proceed');
});

test('If-None-Match: weak comparison answers 304', () => {
  const run = (value: string) =>
    evaluatePreconditions({ 'if-none-match': value }, current);
  assert.equal(run('"abc"'), 'not_modified');
  assert.equal(run('W/"abc"'), 'not_modified');
  assert.equal(run('"x", "abc"'), 'not_modified');
  assert.equal(run('*'), 'not_modified');
  assert.equal(run('"x"'), 'proceed');
});

test('If-Modified-Since counts only without If-None-Match', () => {
  const run = (headers: Record<string, string>, v = current) =>
    evaluatePreconditions(headers, v);
  assert.equal(run({ 'if-modified-since': LM }), 'not_modified');
  assert.equal(run({ 'if-modified-since': LATER }), 'not_modified');
  assert.equal(run({ 'if-modified-since': EARLIER }), 'proceed');
  assert.equal(
    run({ 'if-modified-since': LM, 'if-none-match': '"x"' }),
    'proceed',
  );
  assert.equal(run({ 'if-modified-since': 'yesterday' }), 'proceed');
  assert.equal(run({ 'if-modified-since': LATER }, noDate), 'proceed');
});

test('a POST download: 412 where a GET gets 304; no If-Modified-Since', () => {
  const post = (headers: Record<string, string>) =>
    evaluatePreconditions(headers, current, 'POST');
  assert.equal(post({ 'if-none-match': '"abc"' }), 'matched');
  assert.equal(post({ 'if-none-match': '*' }), 'matched');
  assert.equal(post({ 'if-none-match': '"x"' }), 'proceed');
  assert.equal(post({ 'if-modified-since': LATER }), 'proceed');
  assert.equal(post({ 'if-match': '"abc"' }), 'proceed');
  assert.equal(
    evaluatePreconditions({ 'if-none-match': '"abc"' }, current, 'HEAD'),
    'not_modified',
  );
});

test('a failed If-Match wins over a matching If-None-Match', () => {
  assert.equal(
    evaluatePreconditions(
      { 'if-match': '"x"', 'if-none-match': '"abc"' },
      current,
    ),
    'failed',
  );
});

test('If-Range: the exact current version, by strong tag or date', () => {
  const run = (value: string | undefined, v = current) =>
    rangeStillValid(value === undefined ? {} : { 'if-range': value }, v);
  assert.equal(run(undefined), true);
  assert.equal(run('"abc"'), true);
  assert.equal(run('"stale"'), false);
  assert.equal(run('W/"abc"'), false, 'a weak tag never matches');
  assert.equal(run('"abc", "x"'), false, 'one tag, not a list');
  assert.equal(run(LM), true);
  assert.equal(run(EARLIER), false);
  assert.equal(run(LATER), false, 'a date must match exactly');
  assert.equal(run(LM, noDate), false, 'no Last-Modified: no date matches');
  assert.equal(run('garbage'), false);
});
