import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REQUEST_ID_MAX_CHARS, usableRequestId } from './request-id';

test('a request id is short visible ASCII', () => {
  const longest = 'r'.repeat(REQUEST_ID_MAX_CHARS);
  assert.equal(usableRequestId('crm-sync-42'), 'crm-sync-42');
  assert.equal(usableRequestId(longest), longest);
  const others = ['a\u0085b', 'a\u009fb', 'café-夜', 'a b', 'a\u00a0b'];
  for (const bad of ['', `${longest}r`, 'a\nb', 'a\0b', 42, undefined, ...others]) {
    assert.equal(usableRequestId(bad), undefined, JSON.stringify(bad));
  }
});
