import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { API_ENDPOINTS } from '../api/endpoints';
import { checkParams } from '../api/param-check';
import { flag, id, list, PARAM_LIMITS, text } from '../http/params';
import { readImportPayload } from './import-payload';

const url = { url: 'https://example.com/song.wav' };

const base = () => ({ v: 1, siteId: 1, source: url });

function refusal(data: unknown): ApiError {
  try {
    readImportPayload(data);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('payload was accepted');
}

test('a v1 payload becomes the parameters of an HTTP upload', () => {
  const request = readImportPayload({
    v: 1,
    siteId: 4,
    source: url,
    formats: ['MP3', 'wav'],
    meta: { Title: 'Song', 'Custom: External ID': 'x-1' },
    jobId: 9,
    uploadId: 12,
    oncomplete: 'ops@example.com',
    autopublish: true,
    requestId: 'r-1',
  });

  assert.equal(request.siteId, 4);
  assert.deepEqual(request.source, url);
  assert.equal(request.requestId, 'r-1');
  const { params } = request;
  assert.equal(text(params, 'url'), url.url);
  assert.deepEqual(list(params, 'formats'), ['mp3', 'wav']);
  assert.deepEqual(params.meta, { Title: 'Song', 'Custom: External ID': 'x-1' });
  assert.equal(params.hasMeta, true);
  assert.equal(id(params, 'job_id'), 9);
  assert.equal(id(params, 'upload_id'), 12);
  assert.equal(text(params, 'oncomplete'), 'ops@example.com');
  assert.equal(flag(params, 'autopublish'), true);
});

test('optional fields left out are absent parameters', () => {
  const { params, source } = readImportPayload({
    v: 1,
    siteId: 1,
    source: { storageKey: 'inbound/batch-7/a.wav', filename: 'A.wav' },
  });
  assert.deepEqual(source, {
    storageKey: 'inbound/batch-7/a.wav',
    filename: 'A.wav',
  });
  assert.equal(params.hasMeta, false);
  assert.equal(params.values.size + params.lists.size, 0);
  assert.equal(flag(params, 'autopublish'), false);
});

test('another version is refused with its own code', () => {
  for (const v of [2, '1', undefined, 0]) {
    const err = refusal({ v, siteId: 1, source: url });
    assert.equal(err.code, 'unsupported_version');
    assert.equal(err.status, 400);
    assert.deepEqual(err.details, { supported: [1] });
  }
  assert.match(
    refusal({ v: 2, siteId: 1, source: url }).message,
    /payload version 2 is not supported; this gateway reads v 1/,
  );
});

test('unknown payload fields are refused, every one named', () => {
  const err = refusal({
    v: 1,
    siteId: 1,
    source: url,
    job_id: 3,
    trackId: 5,
  });
  assert.equal(err.code, 'invalid_parameter');
  // `parameters` as on every invalid_parameter; `fields` as in early v1.
  assert.deepEqual(err.details, {
    parameters: ['job_id', 'trackId'],
    fields: ['job_id', 'trackId'],
  });
  const proto = JSON.parse(
    '{"v":1,"siteId":1,"source":{"url":"https://e.com/a"},"__proto__":{}}',
  );
  assert.deepEqual(refusal(proto).details, {
    parameters: ['__proto__'],
    fields: ['__proto__'],
  });
});

test('an unknown field name is quoted cut to 100 characters', () => {
  const long = 'n'.repeat(1_000_000);
  const err = refusal({ ...base(), [long]: 1, trackId: 2 });
  const cut = 'n'.repeat(100);
  assert.deepEqual(err.details, {
    parameters: [cut, 'trackId'],
    fields: [cut, 'trackId'],
  });
  assert.equal(err.message, `unknown payload fields: ${cut}, trackId`);
});

test('every payload refusal names its fields in parameters, as HTTP does', () => {
  const stored = (storageKey: unknown, filename: unknown) => ({
    ...base(),
    source: { storageKey, filename },
  });
  const cases: Array<[unknown, string[]]> = [
    ['not an object', []],
    [[base()], []],
    [{ ...base(), siteId: 0 }, ['siteId']],
    [{ ...base(), requestId: 'a b' }, ['requestId']],
    [{ ...base(), source: 'https://e.com/a.wav' }, ['source']],
    [{ ...base(), source: { storageKey: 'inbound/a' } }, ['source']],
    [{ ...base(), source: { url: ' ' } }, ['source.url']],
    [
      { ...base(), source: { url: `https://e.com/${'a'.repeat(9000)}` } },
      ['source.url'],
    ],
    [stored('sources/1/x', 'a.wav'), ['source.storageKey']],
    [stored('inbound/a.wav', 7), ['source.filename']],
    [stored('inbound/a.wav', 'n'.repeat(70_000)), ['source.filename']],
  ];
  for (const [payload, parameters] of cases) {
    const err = refusal(payload);
    const what = JSON.stringify(payload).slice(0, 80);
    assert.equal(err.code, 'invalid_parameter', what);
    assert.deepEqual(err.toBody().parameters, parameters, what);
  }
});

test('site and source are checked', () => {
  for (const siteId of [0, -1, 1.5, '1', undefined]) {
    const err = refusal({ v: 1, siteId, source: url });
    assert.equal(err.code, 'invalid_parameter');
    assert.match(err.message, /siteId/);
  }
  const sources = [
    undefined,
    'https://example.com/a.wav',
    {},
    { url: '' },
    { url: 'https://e.com/a', storageKey: 'inbound/a' },
    { storageKey: 'inbound/a.wav' },
    { storageKey: 'inbound/a.wav', filename: 7 },
  ];
  for (const source of sources) {
    const err = refusal({ v: 1, siteId: 1, source });
    assert.equal(err.code, 'invalid_parameter', JSON.stringify(source));
    assert.match(err.message, /source/);
  }
});

test('storage keys must stay under inbound/', () => {
  for (const storageKey of [
    'sources/1/0b6f',
    'tracks/1/mp3.mp3',
    'inbound',
    'inbound/',
    'inbound/../tracks/1/mp3.mp3',
    'inbound/.hidden',
    '/inbound/a.wav',
    'inbound//a.wav',
  ]) {
    const err = refusal({
      v: 1,
      siteId: 1,
      source: { storageKey, filename: 'a.wav' },
    });
    assert.equal(err.code, 'invalid_parameter', storageKey);
    assert.match(err.message, /under inbound\//);
  }
});

test('requestId, filename and key are held to the limits HTTP has', () => {
  const long = 'x'.repeat(201);
  for (const requestId of [long, '', 'a\nb', 7, 'a\u0085b', 'café']) {
    const err = refusal({ v: 1, siteId: 1, source: url, requestId });
    assert.equal(err.code, 'invalid_parameter');
    assert.match(err.message, /^requestId must be text of 1 to 200 visible ASCII/);
  }
  const id = 'r'.repeat(200);
  assert.equal(readImportPayload({ ...base(), requestId: id }).requestId, id);

  // A Filename as long as a meta value may be, not longer.
  const name = (bytes: number) => `${'n'.repeat(bytes - 4)}.wav`;
  const stored = (filename: string) => ({
    ...base(),
    source: { storageKey: 'inbound/a.wav', filename },
  });
  readImportPayload(stored(name(64 * 1024)));
  assert.match(
    refusal(stored(name(64 * 1024 + 1))).message,
    /^source\.filename is longer than 65536 bytes$/,
  );
  const key = `inbound/${'k'.repeat(1017)}`;
  assert.equal(key.length, 1025);
  const err = refusal({ ...base(), source: { storageKey: key, filename: 'a' } });
  assert.match(err.message, /at most 1024 bytes/);

  // A folder store cannot name a file or folder past 255 bytes.
  const part = (n: number) => 'p'.repeat(n);
  for (const fine of [`inbound/${part(255)}`, `inbound/${part(255)}/${part(9)}`]) {
    readImportPayload({ ...base(), source: { storageKey: fine, filename: 'a' } });
  }
  for (const long of [`inbound/${part(256)}`, `inbound/${part(256)}/a.wav`]) {
    const source = { storageKey: long, filename: 'a' };
    const refused = refusal({ ...base(), source });
    assert.equal(refused.code, 'invalid_parameter');
    assert.match(refused.message, /255 between slashes/);
  }
});

test('parameter values are judged as the HTTP parameters are', () => {
  const err = refusal({ v: 1, siteId: 1, source: url, meta: ['Title'] });
  assert.equal(err.code, 'invalid_parameter');
  assert.equal(err.message, 'meta must be an object');
  // An object is read as HTTP's `oncomplete[a]=1`, refused by the schema.
  const object = readImportPayload({
    v: 1,
    siteId: 1,
    source: url,
    oncomplete: { a: 1 },
  });
  assert.throws(
    () => checkParams(API_ENDPOINTS.upload.params, object.params),
    /oncomplete must be text/,
  );
  // The upload's parameter schema judges them, with HTTP's words.
  const { params } = readImportPayload({
    v: 1,
    siteId: 1,
    source: url,
    jobId: 'seven',
    autopublish: 'maybe',
  });
  assert.throws(
    () => checkParams(API_ENDPOINTS.upload.params, params),
    (err: unknown) =>
      err instanceof ApiError &&
      err.code === 'invalid_parameter' &&
      /job_id must be a positive integer/.test(err.message) &&
      /autopublish must be 1, 0, true or false/.test(err.message),
  );
  assert.throws(() => id(params, 'job_id'), /job_id must be a positive/);
});

test('a source URL is held to the length of a url parameter', () => {
  const long = `https://example.com/${'a'.repeat(PARAM_LIMITS.urlChars)}`;
  const err = refusal({ v: 1, siteId: 1, source: { url: long } });
  assert.equal(err.code, 'invalid_parameter');
  assert.match(err.message, /^source\.url must be at most 8192 characters/);
  const most = `https://example.com/${'a'.repeat(PARAM_LIMITS.urlChars - 20)}`;
  const taken = readImportPayload({ ...base(), source: { url: most } });
  assert.deepEqual(taken.source, { url: most });
});
