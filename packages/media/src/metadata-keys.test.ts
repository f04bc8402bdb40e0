import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fieldOfTagKey } from './custom-tag-keys';
import { containerTags } from './metadata-keys';

const meta = {
  Title: 'Été — 夏',
  Artist: 'Björk',
  'Track Number': '3/12',
  'Release Date': '2021-05-03',
  ISRC: 'USRC17607839',
  BPM: '120',
  Publisher: 'Pub',
  Label: 'Lab',
  Catalog: 'CAT-1',
  Description: 'a = b',
  Lyrics: 'line one\nline two',
  Composer: 'Comp',
  'Custom: External ID': 'X1',
  Filename: 'song.wav',
  Genre: '   ',
  Copyright: '© 2024',
};

test('ID3 keys are frame ids or TXXX names, blanks and Filename skipped', () => {
  const tags = new Map(containerTags('mp3', meta));
  assert.equal(tags.get('TIT2'), 'Été — 夏');
  assert.equal(tags.get('TPE1'), 'Björk');
  assert.equal(tags.get('TRCK'), '3/12');
  assert.equal(tags.get('date'), '2021-05-03');
  assert.equal(tags.get('TSRC'), 'USRC17607839');
  assert.equal(tags.get('TBPM'), '120');
  assert.equal(tags.get('TPUB'), 'Pub');
  assert.equal(tags.get('LABEL'), 'Lab');
  assert.equal(tags.get('CATALOGNUMBER'), 'CAT-1');
  assert.equal(tags.get('DESCRIPTION'), 'a = b');
  assert.equal(tags.get('LYRICS'), 'line one\nline two');
  assert.equal(tags.get('Custom: External ID'), 'X1');
  assert.equal(tags.get('TCOP'), '© 2024');
  assert.equal([...tags.values()].includes('song.wav'), false);
  assert.equal(tags.has('TCON'), false);
  assert.deepEqual(containerTags('aiff', meta), containerTags('mp3', meta));
});

test('Vorbis names for flac', () => {
  const tags = new Map(containerTags('flac', meta));
  assert.equal(tags.get('TITLE'), 'Été — 夏');
  assert.equal(tags.get('TRACKNUMBER'), '3/12');
  assert.equal(tags.get('DATE'), '2021-05-03');
  assert.equal(tags.get('ISRC'), 'USRC17607839');
  assert.equal(tags.get('PUBLISHER'), 'Pub');
  assert.equal(tags.get('LABEL'), 'Lab');
  assert.equal(tags.get('Custom: External ID'), 'X1');
});

test('RIFF INFO gets only its fixed ids; ISRC is not RIFF ISRC', () => {
  const tags = new Map(containerTags('wav', meta));
  assert.deepEqual(
    [...tags.keys()].sort(),
    ['IART', 'ICMT', 'ICOP', 'ICRD', 'INAM', 'IPRT'],
  );
  assert.equal(tags.get('ICOP'), '© 2024');
  assert.equal(tags.get('INAM'), 'Été — 夏');
});

test('control characters are stripped from values', () => {
  const tags = containerTags('mp3', { Title: 'a\u0000b\u0007c\td' });
  assert.deepEqual(tags, [['TIT2', 'abc\td']]);
});

const CUSTOMS = {
  'Custom: Код': '1',
  'Custom: Имя': '2',
  'Custom: Ext=ID': '3',
  'Custom: Ext ID': '4',
  'Custom: ext id': '5',
  'Custom: 100%': '6',
};

test('custom names: ID3 keeps Unicode, escapes "=", "%" and case clashes', () => {
  assert.deepEqual(new Map(containerTags('mp3', CUSTOMS)), new Map([
    ['Custom: Код', '1'],
    ['Custom: Имя', '2'],
    ['Custom: Ext%3DID', '3'],
    ['Custom: Ext ID', '4'],
    ['Custom: %65%78%74 %69%64', '5'],
    ['Custom: 100%25', '6'],
  ]));
});

test('custom names: Vorbis keys are printable ASCII without "="', () => {
  const keys = containerTags('flac', CUSTOMS).map(([key]) => key);
  assert.deepEqual(keys, [
    'Custom: %D0%9A%D0%BE%D0%B4',
    'Custom: %D0%98%D0%BC%D1%8F',
    'Custom: Ext%3DID',
    'Custom: Ext ID',
    'Custom: %65%78%74 %69%64',
    'Custom: 100%25',
  ]);
  for (const key of keys) assert.match(key, /^[\x20-\x3c\x3e-\x7d]+$/);
  const folded = new Set(keys.map((key) => key.toLowerCase()));
  assert.equal(folded.size, keys.length);
  assert.deepEqual(keys.map(fieldOfTagKey), Object.keys(CUSTOMS));
  assert.deepEqual(containerTags('wav', CUSTOMS), []);
});

test('a key another tagger wrote with a stray "%" reads as it is', () => {
  assert.equal(fieldOfTagKey('Custom: 50% off'), 'Custom: 50% off');
  assert.equal(fieldOfTagKey('Custom: %FF'), 'Custom: %FF');
  assert.equal(fieldOfTagKey('Custom: %e2%82%ac'), 'Custom: %e2%82%ac');
});
