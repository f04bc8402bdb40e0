import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partFileOf } from '@ingest/client';
import { FileNames, MAX_NAME_BYTES, stemOf } from './file-names';

const bytes = (text: string) => Buffer.byteLength(text);

describe('download file names', () => {
  it('cuts a long name by bytes, keeping its extension and the temp name', () => {
    const names = new FileNames();
    const long = stemOf(`${'é'.repeat(200)}.wav`, 1);
    const name = names.claim(long, 1, 'flac');
    assert.ok(bytes(name) <= MAX_NAME_BYTES, `${bytes(name)} bytes`);
    assert.ok(name.endsWith('é.flac'), 'cut on a whole character');
    assert.ok(bytes(partFileOf(`/x/${name}`).slice(3)) <= 255);
  });

  it('keeps cut names apart', () => {
    const names = new FileNames();
    const a = names.claim(`${'a'.repeat(300)}1`, 1, 'mp3');
    const b = names.claim(`${'a'.repeat(300)}2`, 2, 'mp3');
    assert.notEqual(a, b);
    assert.ok(b.startsWith('2-'));
    assert.ok(bytes(b) <= MAX_NAME_BYTES);
  });

  it('saves no hidden file: leading dots go, as in the gateway\'s name', () => {
    assert.equal(stemOf('.take', 7), 'take');
    assert.equal(stemOf('..take two.wav', 7), 'take two');
    assert.equal(stemOf('..', 7), '7');
    assert.equal(stemOf('. take.wav', 7), 'take');
    assert.equal(stemOf('masters/.wav', 7), 'wav');
  });

  it('keeps names apart that differ only in case or accent form', () => {
    // One file on macOS and Windows: the second track's replaced the first's.
    const names = new FileNames();
    assert.equal(names.claim('Song', 1, 'mp3'), 'Song.mp3');
    assert.equal(names.claim('song', 2, 'mp3'), '2-song.mp3');
    assert.equal(names.claim('Caf\u00e9', 3, 'mp3'), 'Caf\u00e9.mp3');
    assert.equal(names.claim('Cafe\u0301', 4, 'mp3'), '4-Cafe\u0301.mp3');
    assert.equal(names.claim('song', 2, 'wav'), 'song.wav');
  });

  it('does not hand out a prefixed name a track has by its own name', () => {
    const names = new FileNames();
    assert.equal(names.claim('102-x', 5, 'mp3'), '102-x.mp3');
    assert.equal(names.claim('x', 1, 'mp3'), 'x.mp3');
    assert.equal(names.claim('x', 102, 'mp3'), '102-2-x.mp3');
    assert.equal(names.claim('102-x', 5, 'mp3'), '102-x.mp3');
  });

  it('gives any name a temp name that fits', () => {
    const temp = partFileOf(`/x/${'ü'.repeat(127)}.wav`);
    assert.ok(bytes(temp.slice(3)) <= 255, `${bytes(temp)} bytes`);
    assert.notEqual(temp, partFileOf(`/x/${'ü'.repeat(127)}.wa`));
  });
});
