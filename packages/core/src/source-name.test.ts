import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, nameFromUrl, matchStemOf } from './source-name';

test('a name keeps its last path segment, without control characters', () => {
  assert.equal(displayName('C:\\music\\a/b\\song.wav'), 'song.wav');
  assert.equal(displayName('so\u0000n\u001fg\u007f.wav'), 'song.wav');
  // C1 controls, as 0x80-0x9f bytes read as Latin-1 become.
  assert.equal(displayName('so\u0085n\u009bg.wav'), 'song.wav');
  // A tab parts words, as a blank: `tab\there` is not `tabhere`.
  assert.equal(displayName('tab\there.wav'), 'tab here.wav');
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

test('a long name keeps its extension: the cut is taken from the stem', () => {
  const cut = displayName('a'.repeat(15_000) + '.wav');
  assert.equal(cut, 'a'.repeat(239) + '.wav');

  // One stem whatever the extension, so secondary sources still match.
  const long = 'Long Take '.repeat(100);
  const flac = displayName(`${long}.flac`);
  assert.ok(flac.endsWith('.flac'), flac);
  assert.equal(matchStemOf(flac), matchStemOf(displayName(`${long}.wav`)));

  // A stem kept whole with one extension and cut with a longer one.
  const edge = 'E'.repeat(251);
  assert.equal(displayName(`${edge}.wav`), `${edge}.wav`);
  assert.equal(matchStemOf(displayName(`${edge}.flac`)), matchStemOf(displayName(`${edge}.wav`)));

  // Cut by characters, never inside one, the extension whole.
  const emoji = '\u{1F3B5}';
  const wide = displayName(emoji.repeat(400) + '.Flac');
  assert.equal(wide, emoji.repeat(239) + '.Flac');
  assert.equal(Buffer.from(wide).toString(), wide, 'not whole UTF-8');

  // A name of 255 characters is kept as it is.
  assert.equal(displayName('b'.repeat(251) + '.mp3'), 'b'.repeat(251) + '.mp3');

  // No format has a long extension, or blanks in one (`Op. 27 No. 2`):
  // such a name is cut plainly.
  assert.equal(displayName('c.' + 'd'.repeat(300)), 'c.' + 'd'.repeat(253));
  assert.equal(displayName('e'.repeat(300) + '. 2'), 'e'.repeat(255));
});

test('a name is kept with its accents composed, so a long one pairs', () => {
  // As macOS writes it: e and a combining acute; as others do: é.
  assert.equal(displayName('Kora\u0301zon.flac'), 'Kor\u00e1zon.flac');
  const decomposed = displayName('e\u0301'.repeat(300) + '.flac');
  const composed = displayName('\u00e9'.repeat(300) + '.wav');
  assert.equal(decomposed, '\u00e9'.repeat(239) + '.flac');
  assert.equal(matchStemOf(decomposed), matchStemOf(composed));
});

test('a long name in a URL keeps its extension too', () => {
  const name = nameFromUrl(`http://h/x/${'%C3%A9'.repeat(5000)}.wav?q=1`);
  assert.equal(name, '\u00e9'.repeat(239) + '.wav');
});

test('a URL names its source by its decoded last segment', () => {
  assert.equal(nameFromUrl('http://h/x/My%20Song.wav?q=1'), 'My Song.wav');
  assert.equal(nameFromUrl('http://h/x/bad%E0%A4.wav'), 'bad%E0%A4.wav');
  assert.equal(nameFromUrl('http://h/x/evil%E2%80%AEvaw.exe'), 'evilvaw.exe');
});
