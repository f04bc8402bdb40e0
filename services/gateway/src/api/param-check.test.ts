import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { addJson, addPair, emptyParams, type Params } from '../http/params';
import { API_ENDPOINTS } from './endpoints';
import { checkParams, flattenParams } from './param-check';

function query(text: string): Params {
  const params = emptyParams();
  for (const [key, value] of new URLSearchParams(text)) {
    addPair(params, key, value);
  }
  return params;
}

function json(body: object): Params {
  const params = emptyParams();
  addJson(params, body);
  return params;
}

function refusal(fn: () => void): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

const { upload, setFormats, delete: drop, search, download } = API_ENDPOINTS;

test('flattening keeps values, lists and meta; blanks count as absent', () => {
  const flat = flattenParams(
    query('a=%201%20&b=&formats[]=mp3&formats[]=wav&meta[Title]=&x=y'),
  );
  assert.deepEqual(flat, {
    a: '1',
    formats: ['mp3', 'wav'],
    meta: { Title: '' },
    x: 'y',
  });
});

test('good calls pass, in each way parameters may come', () => {
  const calls: Params[] = [
    query('url=http://h/a.wav&formats=MP3,wav&autopublish=1&job_id=3'),
    query('upload_id=4&formats[]=flac&meta[Custom: Id]=7&token=t&other=1'),
    json({ job_id: 3, formats: ['mp3'], autopublish: true, meta: { A: 'b' } }),
    json({ 'meta[Title]': 'x', track_id: '9', immediate: 'false', format: 'Wav' }),
  ];
  for (const params of calls) checkParams(upload.params, params);
  checkParams(drop.params, query('upload_id=all'));
  checkParams(drop.params, json({ update_id: 12 }));
  checkParams(search.params, query('s=blue&show=1000&pg=0'));
});

test('a refusal names every bad parameter', () => {
  const err = refusal(() =>
    checkParams(upload.params, query('job_id=1.5&autopublish=maybe')),
  );
  assert.equal(err.code, 'invalid_parameter');
  assert.equal(err.status, 400);
  assert.match(err.message, /job_id must be a positive integer/);
  assert.match(err.message, /autopublish must be 1, 0, true or false/);
  assert.deepEqual(err.details.parameters, ['autopublish', 'job_id']);
});

test('values only the schema refuses', () => {
  // Each of these the old readers ignored or read as "no".
  const cases: Array<[Params, RegExp]> = [
    [query('immediate=sometimes'), /^immediate must be 1, 0, true or false$/],
    [json({ meta: 'Title' }), /^meta must be an object of field names/],
    [json({ job_id: [1, 2] }), /^job_id must be a positive integer$/],
    [json({ url: ['a', 'b'] }), /^url must be text$/],
  ];
  for (const [params, message] of cases) {
    const err = refusal(() => checkParams(upload.params, params));
    assert.equal(err.code, 'invalid_parameter');
    assert.match(err.message, message);
  }
});

test('a known parameter sent as an object is refused in every encoding', () => {
  const ways = [query('s[x]=a'), json({ s: { x: 'a' } }), json({ 's[x]': 'a' })];
  for (const params of ways) {
    const err = refusal(() => checkParams(search.params, params));
    assert.equal(err.code, 'invalid_parameter');
    assert.equal(err.message, 's must be text');
    assert.deepEqual(err.details.parameters, ['s']);
  }
  for (const params of [query('job_id[a]=1'), json({ job_id: { a: 1 } })]) {
    const err = refusal(() => checkParams(upload.params, params));
    assert.equal(err.message, 'job_id must be a positive integer');
  }
  // Unknown ones stay allowed, whatever the encoding.
  checkParams(search.params, query('client[ref]=a&client[n][0]=1'));
  checkParams(search.params, json({ client: { ref: 'a', n: [1] } }));
});

test('required parameters are named', () => {
  const err = refusal(() => checkParams(setFormats.params, query('formats=mp3')));
  assert.equal(err.message, 'upload_id is required');
  // Clients holding an upload id are told where a track id comes from.
  const track = refusal(() => checkParams(download.params, query('upload_id=3')));
  assert.match(
    track.message,
    /^track_id is required: the id of a published track, as \/api\/import\/list /,
  );
  assert.match(track.message, /an upload_id is not taken here/);
});

test('formats left out where required is a missing parameter', () => {
  for (const params of [query('upload_id=3'), query('upload_id=3&formats=%20')]) {
    const err = refusal(() => checkParams(setFormats.params, params));
    assert.equal(err.code, 'invalid_parameter');
    assert.equal(err.message, 'formats is required');
    assert.deepEqual(err.details.parameters, ['formats']);
  }
});

test('bad formats answer invalid_format with the offending names', () => {
  const err = refusal(() =>
    checkParams(upload.params, query('formats=mp3,ogg,OPUS')),
  );
  assert.equal(err.code, 'invalid_format');
  assert.deepEqual(err.details.formats, ['ogg', 'opus']);
  assert.match(err.message, /^formats must be mp3, wav, aiff or flac/);

  const empty = refusal(() => checkParams(upload.params, json({ formats: [] })));
  assert.equal(empty.code, 'invalid_format');
  const one = refusal(() =>
    checkParams(download.params, query('track_id=1&format=ogg')),
  );
  assert.equal(one.code, 'invalid_format');
});

test('a list where one format belongs is named as it was sent', () => {
  const ways = [
    query('track_id=1&format=mp3,WAV'),
    query('track_id=1&format[]=mp3&format[]=wav'),
    json({ track_id: 1, format: ['mp3', 'wav'] }),
  ];
  for (const params of ways) {
    const err = refusal(() => checkParams(download.params, params));
    assert.equal(err.code, 'invalid_format');
    assert.equal(
      err.message,
      'format must be one format (mp3, wav, aiff or flac), not a list: ' +
        'mp3, wav',
    );
    assert.deepEqual(err.details.formats, ['mp3', 'wav']);
  }
  const one = refusal(() =>
    checkParams(upload.params, query('track_id=1&format[]=flac')),
  );
  assert.match(one.message, /not a list: flac$/);
  const bad = refusal(() =>
    checkParams(download.params, query('track_id=1&format=ogg,mp3')),
  );
  assert.match(bad.message, /not a list: ogg, mp3$/);
  assert.deepEqual(bad.details.formats, ['ogg']);
});

test('delete takes an id or ALL, nothing else', () => {
  const err = refusal(() => checkParams(drop.params, query('upload_id=some')));
  assert.equal(err.message, 'upload_id must be a positive integer or ALL');
});

test('search counts keep their bounds', () => {
  for (const bad of ['show=0', 'show=00', 'pg=-1', 'show=1e3', 'pg=1234567890']) {
    const err = refusal(() => checkParams(search.params, query(bad)));
    const words = bad.startsWith('pg')
      ? /^pg must be a whole number from 0 to 999999999$/
      : /^show must be a whole number of at least 1$/;
    assert.match(err.message, words, bad);
  }
});

test('a long list of unknown formats is echoed short and distinct', () => {
  const items = Array.from({ length: 100_000 }, (_, i) => `x${i % 5000}`);
  const err = refusal(() =>
    checkParams(upload.params, json({ formats: ['mp3', ...items] })),
  );
  assert.equal(err.code, 'invalid_format');
  assert.deepEqual(
    err.details.formats,
    Array.from({ length: 10 }, (_, i) => `x${i}`),
  );
  assert.match(err.message, /unknown: x0, x1, .*, x9 and 4990 more$/);
  assert.ok(err.message.length < 200, err.message);

  const same = refusal(() =>
    checkParams(upload.params, query(`formats=ogg,OGG,${'o'.repeat(5000)}`)),
  );
  assert.deepEqual(same.details.formats, ['ogg', `${'o'.repeat(50)}…`]);
  const one = refusal(() =>
    checkParams(download.params, query(`track_id=1&format=${'z'.repeat(9000)}`)),
  );
  assert.ok(JSON.stringify(one.toBody()).length < 300);
});
