import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceStem } from './secondary-sources';

test('file names index under their lower-cased stem', () => {
  assert.equal(sourceStem('Song.WAV'), 'song');
  assert.equal(sourceStem('song.mp3'), 'song');
  assert.equal(sourceStem('my.song.v2.flac'), 'my.song.v2');
});

test('a name without an extension is never matched', () => {
  assert.equal(sourceStem('download'), undefined);
  assert.equal(sourceStem(''), undefined);
  assert.equal(sourceStem('.wav'), undefined);
});

test('accents composed or not, a name indexes under one stem', () => {
  // `Mi Korasón` as a spreadsheet or DAW writes it, and as macOS does (NFD).
  assert.equal(sourceStem('Mi Koraso\u0301n.flac'), sourceStem('Mi Koras\u00f3n.wav'));
});
