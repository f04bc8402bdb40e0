import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, nameFromUrl } from './source-name';

test('a name keeps its last path segment, without control characters', () => {
  assert.equal(displayName('C:\\music\\a/b\\song.wav'), 'song.wav');
  assert.equal(displayName('so\u0000n\u001fg\u007f.wav'), 'song.wav');
  // C1 controls, as 0x80-0x9f bytes read as Latin-1 become.
  assert.equal(displayName('so\u0085n\u009bg.wav'), 'song.wav');
});

test('marks that reorder text are taken out', () => {
  // Shown as "songvaw.exe" reversed: an .exe posing as audio.
  assert.equal(displayName('evil\u202Evaw.exe'), 'evilvaw.exe');
  assert.equal(displayName('a\u2066b\u2069\u200fc.wav'), 'abc.wav');
  assert.equal(displayName('line\u2028break.wav'), 'linebreak.wav');
});

test('a long name is cut at 255 characters, never inside one', () => {
  const emoji = '\u{1F3B5}'; // two UTF-16 units
  const cut = displayName('a' + emoji.repeat(300));
  assert.equal(Array.from(cut).length, 255);
  assert.ok(cut.endsWith(emoji), 'half a character at the end');
  assert.equal(displayName('x'.repeat(300)).length, 255);
  // A lone surrogate a client sent becomes U+FFFD.
  assert.equal(displayName('a\ud800b.wav'), 'a\ufffdb.wav');
});

test('a URL names its source by its decoded last segment', () => {
  assert.equal(nameFromUrl('http://h/x/My%20Song.wav?q=1'), 'My Song.wav');
  assert.equal(nameFromUrl('http://h/x/bad%E0%A4.wav'), 'bad%E0%A4.wav');
  assert.equal(nameFromUrl('http://h/x/evil%E2%80%AEvaw.exe'), 'evilvaw.exe');
});
