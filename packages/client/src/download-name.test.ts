import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filenameOf } from './download-name';

test('the exact filename* first, else the plain filename', () => {
  assert.equal(filenameOf('attachment; filename="song.mp3"'), 'song.mp3');
  assert.equal(
    filenameOf(`attachment; filename="Bjork.mp3"; filename*=UTF-8''Bj%C3%B6rk.mp3`),
    'Björk.mp3',
  );
  assert.equal(
    filenameOf(`attachment; filename="Say 'Hi'.mp3"; filename*=utf-8''Say%20%22Hi%22.mp3`),
    'Say "Hi".mp3',
  );
  assert.equal(filenameOf('attachment; filename="a \\"b\\".mp3"'), 'a "b".mp3');
  assert.equal(filenameOf('attachment; filename=12.mp3'), '12.mp3');
  // Bytes that are no UTF-8: the stand-in.
  assert.equal(filenameOf(`attachment; filename="x.mp3"; filename*=UTF-8''%FF.mp3`), 'x.mp3');
  assert.equal(filenameOf('attachment'), undefined);
  assert.equal(filenameOf(null), undefined);
});
