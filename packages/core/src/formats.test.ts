import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addedFormats, defaultFormats } from './formats';

test('defaults are the output formats among the sources, plus mp3', () => {
  assert.deepEqual(defaultFormats(['flac', 'ogg']), ['mp3', 'flac']);
});

test('added: formats with no source, and mp3 when its source is not as is', () => {
  const all = ['mp3', 'wav', 'aiff', 'flac'] as const;
  assert.deepEqual(addedFormats([...all], { wav: {} }), ['mp3', 'aiff', 'flac']);
  // A 128k mp3 source is encoded to 320k: generated, not taken.
  assert.deepEqual(addedFormats(['mp3', 'wav'], { mp3: {}, wav: {} }), ['mp3']);
  assert.deepEqual(
    addedFormats(['mp3', 'wav'], { mp3: { asIs: true }, wav: {} }),
    [],
  );
});
