import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fileNameStem,
  foldText,
  queryTokens,
  textTokens,
  trackTokens,
} from './search-tokens';

test('foldText lowers case and folds accents and widths', () => {
  assert.equal(foldText('Café Señor Müller'), 'cafe senor muller');
  assert.equal(foldText('ＡＢＣ１'), 'abc1');
  // Hangul syllables survive the NFKD round trip.
  assert.equal(foldText('음악'), '음악');
});

test('text splits on anything but letters and digits', () => {
  // A word with an apostrophe is also indexed without it.
  assert.deepEqual(textTokens("L'été — 2021 (Remix)"), [
    'l',
    'ete',
    '2021',
    'remix',
    'lete',
  ]);
});

test('CJK text is indexed by characters and pairs', () => {
  assert.deepEqual(textTokens('夜明け'), ['夜', '明', 'け', '夜明', '明け']);
  // A prolonged sound mark belongs to the kana run around it.
  assert.ok(textTokens('スーパー').includes('スー'));
  // Mixed words split at the script boundary.
  assert.deepEqual(textTokens('J-POP夜'), ['j', 'pop', '夜']);
});

test('track tokens cover the search fields only, ISRC also compact', () => {
  const tokens = trackTokens({
    Title: 'Blue Sky',
    Artist: 'Ann',
    ISRC: 'US-RC1-76-07839',
    Mood: 'happy',
    Filename: 'blue.wav',
  });
  for (const token of ['blue', 'sky', 'ann', 'us', 'usrc17607839']) {
    assert.ok(tokens.includes(token), token);
  }
  assert.ok(!tokens.includes('happy'));
  assert.ok(!tokens.includes('wav'));
});

test('a file name is searched by the stem of its last segment', () => {
  assert.equal(fileNameStem('take1.wav'), 'take1');
  assert.equal(fileNameStem('masters/Take 2.final.WAV'), 'Take 2.final');
  assert.equal(fileNameStem('C:\\sessions\\mix.aiff'), 'mix');
  assert.equal(fileNameStem('no-extension'), 'no-extension');
  assert.equal(fileNameStem('.hidden'), '.hidden');
  assert.deepEqual(trackTokens({ Filename: 'masters/Take_1 (alt).wav' }), [
    '1',
    'alt',
    'take',
  ]);
});

// A name of no audio extension keeps its last words: a name taken from a
// URL without one (`Mr. Brightside`) was indexed as `Mr`, and the query
// of its whole name (whose end no extension is) found nothing.
test('only an audio extension is dropped from a file name', () => {
  assert.equal(fileNameStem('Mr. Brightside'), 'Mr. Brightside');
  assert.equal(fileNameStem('Song No. 5'), 'Song No. 5');
  assert.equal(fileNameStem('Mr. Brightside.mp3'), 'Mr. Brightside');
  const tokens = trackTokens({ Filename: 'Mr. Brightside' });
  const query = queryTokens('mr. brightside');
  for (const token of [...query.exact, query.prefix]) {
    assert.ok(tokens.includes(token), `${token} is not indexed`);
  }
});

// Search shows `Filename: take1.wav`; that text searched found nothing,
// the extension not being indexed.
test('a query ending in a file name with its extension searches its stem', () => {
  const stem = queryTokens('take1');
  assert.deepEqual(queryTokens('take1.wav'), stem);
  assert.deepEqual(queryTokens(' Take1.WAV '), stem);
  assert.deepEqual(queryTokens('masters take1.flac'), {
    exact: ['masters'],
    prefix: 'take1',
  });
  // Not a file's extension: kept.
  assert.deepEqual(queryTokens('Op.27'), { exact: ['op'], prefix: '27' });
  assert.deepEqual(queryTokens('wav'), { exact: [], prefix: 'wav' });
});

// `take1.wav drums` asked for the token "wav", which no track has.
test('every word ending in an audio extension searches its stem', () => {
  assert.deepEqual(queryTokens('take1.wav drums'), {
    exact: ['take1'],
    prefix: 'drums',
  });
  assert.deepEqual(queryTokens('Take1.WAV take2.mp3'), {
    exact: ['take1'],
    prefix: 'take2',
  });
  assert.deepEqual(queryTokens('"take1.aiff", (take2.flac)'), {
    exact: ['take1'],
    prefix: 'take2',
  });
  // What the index holds of `song.mp3.part`: `.part` is no audio
  // extension, so all of it, and the query of that whole name finds it.
  const part = trackTokens({ Filename: 'song.mp3.part' });
  assert.deepEqual(part, ['mp3', 'part', 'song']);
  assert.deepEqual(queryTokens('song.mp3.part x'), {
    exact: ['song', 'mp3', 'part', 'x'],
    prefix: '',
  });
  // No word ends there, or no word comes before the dot: kept.
  assert.deepEqual(queryTokens('take1.wavy x'), {
    exact: ['take1', 'wavy', 'x'],
    prefix: '',
  });
  assert.deepEqual(queryTokens('.wav x'), { exact: ['wav', 'x'], prefix: '' });
});

test('query: every word exact, the last one also as a prefix', () => {
  assert.deepEqual(queryTokens('Blue sk'), { exact: ['blue'], prefix: 'sk' });
  assert.deepEqual(queryTokens('CAFÉ'), { exact: [], prefix: 'cafe' });
  // One letter is too short to expand.
  assert.deepEqual(queryTokens('blue s'), { exact: ['blue', 's'], prefix: '' });
  assert.deepEqual(queryTokens('  '), { exact: [], prefix: '' });
});

test('query: CJK words match by their pairs, single characters as such', () => {
  assert.deepEqual(queryTokens('スキャット'), {
    exact: ['スキ', 'キャ', 'ャッ', 'ット'],
    prefix: '',
  });
  assert.deepEqual(queryTokens('夜'), { exact: ['夜'], prefix: '' });
  // Every query pair is among the indexed tokens of the title.
  const indexed = new Set(textTokens('夜明けのスキャット'));
  for (const token of queryTokens('明けのスキ').exact) {
    assert.ok(indexed.has(token), token);
  }
});
