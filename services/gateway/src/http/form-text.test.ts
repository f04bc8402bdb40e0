import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { charsetOf, formPairs, jsonText } from './form-text';

/** What URLSearchParams reads from the same text, for comparison. */
const whatwg = (raw: string) => [...new URLSearchParams(raw)];

test('UTF-8 forms read as URLSearchParams reads them', () => {
  for (const raw of [
    'a=1&b=2',
    'meta%5BTitle%5D=Caf%C3%A9+Noir&x',
    '&&a=&=b&c==d',
    'p=%ZZ%4&q=100%25&r=%e2%82%ac',
    'k+y=v+w&meta[Custom:+External+ID]=X',
  ]) {
    assert.deepEqual(formPairs(raw), whatwg(raw), raw);
  }
});

test('bytes that are not UTF-8 are refused, naming the parameter', () => {
  try {
    formPairs('token=t&meta%5BTitle%5D=Caf%E9');
    assert.fail('taken');
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'invalid_parameter');
    assert.deepEqual(err.details.parameters, ['meta[Title]']);
    assert.match(err.message, /meta\[Title\] is not utf-8 text/);
  }
  // Raw bytes in a body (read as latin1) are judged the same way.
  const raw = Buffer.from('meta[Title]=Caf\xe9', 'latin1').toString('latin1');
  assert.throws(() => formPairs(raw), /not utf-8/);
  const utf8 = Buffer.from('meta[Title]=Café').toString('latin1');
  assert.deepEqual(formPairs(utf8), [['meta[Title]', 'Café']]);
});

test('a named charset is read in that charset', () => {
  assert.equal(charsetOf('application/x-www-form-urlencoded'), 'utf-8');
  const latin1 = charsetOf('application/x-www-form-urlencoded; Charset="ISO-8859-1"');
  assert.equal(latin1, 'iso-8859-1');
  assert.deepEqual(formPairs('meta%5BTitle%5D=Caf%E9', latin1), [['meta[Title]', 'Café']]);
  // As WHATWG (and browsers) read ISO-8859-1: windows-1252's 0x80-0x9F.
  assert.deepEqual(formPairs('t=%93a%94+%96+5%80', latin1), [
    ['t', '\u201ca\u201d \u2013 5\u20ac'],
  ]);
  assert.throws(
    () => formPairs('a=b', 'x-unknown'),
    (err: ApiError) => err.code === 'unsupported_media_type',
  );
});

test('a JSON body must be UTF-8', () => {
  assert.equal(jsonText(Buffer.from('{"a":"é"}')), '{"a":"é"}');
  assert.equal(jsonText(Buffer.from('\uFEFF{}')), '\uFEFF{}');
  assert.throws(
    () => jsonText(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])),
    /not UTF-8/,
  );
});
