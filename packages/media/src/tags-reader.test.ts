import assert from 'node:assert/strict';
import { test } from 'node:test';

import { repairUtf8 } from './tags-reader';

test('UTF-8 read as Latin-1 is repaired, real Latin-1 is kept', () => {
  const mangled = Buffer.from('Été 夏', 'utf8').toString('latin1');
  assert.equal(repairUtf8(mangled), 'Été 夏');
  assert.equal(repairUtf8('Été'), 'Été');
  assert.equal(repairUtf8('plain'), 'plain');
  assert.equal(repairUtf8('夏 Ã©'), '夏 Ã©');
});
