import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cleanText, repairUtf8 } from './tags-reader';

test('UTF-8 read as Latin-1 is repaired, real Latin-1 is kept', () => {
  const mangled = Buffer.from('Été 夏', 'utf8').toString('latin1');
  assert.equal(repairUtf8(mangled), 'Été 夏');
  assert.equal(repairUtf8('Été'), 'Été');
  assert.equal(repairUtf8('plain'), 'plain');
  assert.equal(repairUtf8('夏 Ã©'), '夏 Ã©');
});

test("a file's tags lose the control characters meta refuses", () => {
  const raw = 'T\u0000\u001b[31mX\u0007\b\r\nY\tZ\u007f\u0085\u009b2J';
  assert.equal(cleanText(raw), 'T[31mX\r\nY\tZ2J');
  assert.equal(cleanText('\u001b\u0001'), undefined);
  // Text in Latin-1 bytes (0xA0 and up) and the rest of Unicode stay.
  assert.equal(cleanText('Caf\u00e9 \u00a0\u590f'), 'Caf\u00e9 \u00a0\u590f');
});
