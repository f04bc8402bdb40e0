import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange } from './download-endpoint';

test('byte ranges as RFC 9110 reads them', () => {
  assert.deepEqual(parseRange('bytes=10-19', 100), { start: 10, end: 19 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-5', 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  // Invalid or unsupported headers are ignored: the whole file is sent.
  assert.equal(parseRange('bytes=5-1', 100), undefined);
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange(undefined, 100), undefined);
});

test('the unit in any case, empty list elements skipped', () => {
  // Range unit names are case-insensitive (RFC 9110 §14.1), and a
  // recipient skips empty elements of a list (§5.6.1.2).
  assert.deepEqual(parseRange('Bytes=0-1', 100), { start: 0, end: 1 });
  assert.deepEqual(parseRange('BYTES=-5', 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange('bytes=0-1,', 100), { start: 0, end: 1 });
  assert.deepEqual(parseRange('bytes=, 10-19', 100), { start: 10, end: 19 });
  assert.equal(parseRange('bytes=0-1, 5-6', 100), undefined);
  assert.equal(parseRange('bytes=,', 100), undefined);
  assert.equal(parseRange('bytesx=0-1', 100), undefined);
});
