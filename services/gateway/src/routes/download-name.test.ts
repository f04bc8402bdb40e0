import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { test } from 'node:test';
import type { OutputFormat } from '@ingest/core';
import { contentDispositionOf } from './download-name';

const named = (Filename: string | undefined, format: OutputFormat = 'mp3') =>
  contentDispositionOf({ id: 12, meta: Filename === undefined ? {} : { Filename } }, format);

/** The exact name a `filename*` carries, decoded. */
function exactName(header: string): string | undefined {
  const encoded = /filename\*=UTF-8''([^;\s]+)/.exec(header)?.[1];
  return encoded === undefined ? undefined : decodeURIComponent(encoded);
}

test("the Filename's stem with the rendition's extension", () => {
  assert.equal(named('song.wav'), 'attachment; filename=song.mp3');
  assert.equal(named('song.wav', 'wav'), 'attachment; filename=song.wav');
  assert.equal(named('Take 2.final.aiff', 'flac'), 'attachment; filename="Take 2.final.flac"');
  assert.equal(named('Op. 27 No. 2'), 'attachment; filename="Op. 27 No. 2.mp3"');
});

test('no Filename, or none usable: the track id', () => {
  for (const filename of [undefined, '', '   ', '..', 'masters/', '\r\n']) {
    assert.equal(named(filename), 'attachment; filename=12.mp3', String(filename));
  }
});

test('a path keeps its last segment, / and \\ alike', () => {
  assert.equal(named('masters/2024/song.wav'), 'attachment; filename=song.mp3');
  assert.equal(named('C:\\masters\\song.wav'), 'attachment; filename=song.mp3');
  assert.equal(named('../../etc/.passwd.wav'), 'attachment; filename=passwd.mp3');
});

test('quotes and percent signs: a plain stand-in, the exact name in filename*', () => {
  const quoted = named('Say "Hi"; bye.wav');
  assert.equal(
    quoted,
    `attachment; filename="Say 'Hi'; bye.mp3"; ` +
      "filename*=UTF-8''Say%20%22Hi%22%3B%20bye.mp3",
  );
  const percent = named('100%25 pure.wav');
  assert.match(percent, /filename="100_25 pure\.mp3"/);
  assert.equal(exactName(percent), '100%25 pure.mp3');
  const marks = named("it's (live)*.wav");
  assert.equal(marks, `attachment; filename="it's (live)*.mp3"`);
});

test('CR, LF and other controls never reach the header', () => {
  const header = named('bad\r\nSet-Cookie: a=1\u0000\u2028.wav');
  assert.equal(header, 'attachment; filename="badSet-Cookie: a=1.mp3"');
  assert.doesNotThrow(() => validateHeaderValue('content-disposition', header));
  // Marks that reorder text, as in `evil<RLO>3pm.exe`, are dropped.
  assert.equal(named('evil\u202e3pm.x.wav'), 'attachment; filename=evil3pm.x.mp3');
});

test('unicode: an ASCII stand-in and the exact name, RFC 8187', () => {
  const accented = named('Björk – Jóga.flac');
  assert.match(accented, /^attachment; filename="Bjork _ Joga\.mp3"; filename\*=UTF-8''/);
  assert.equal(exactName(accented), 'Björk – Jóga.mp3');

  const japanese = named('日本語の歌.wav', 'wav');
  assert.match(japanese, /^attachment; filename=12\.wav; filename\*=/);
  assert.equal(exactName(japanese), '日本語の歌.wav');

  const emoji = named('🎵 tune.wav');
  assert.equal(exactName(emoji), '🎵 tune.mp3');
  assert.match(emoji, /filename="_ tune\.mp3"/);

  // A lone surrogate, which JSON lets through, neither throws nor leaks.
  assert.equal(exactName(named('a\ud800b.wav')), 'a\ufffdb.mp3');
});

test('a long Filename is cut on whole characters, extension kept', () => {
  const header = named(`${'é'.repeat(300)}.wav`);
  const exact = exactName(header) ?? '';
  assert.ok(exact.endsWith('é.mp3'), exact.slice(-10));
  assert.ok(Buffer.byteLength(exact) <= 255, `${Buffer.byteLength(exact)} bytes`);
  assert.ok(header.length < 2_000, `${header.length} characters`);
  for (const filename of [`${'a'.repeat(70_000)}.wav`, 'x'.repeat(70_000)]) {
    assert.ok(named(filename).length < 300);
  }
});

test('every header is one Node accepts', () => {
  const odd = ['\u0085.wav', 'tab\there.wav', '\u007f\u00a0nbsp.wav', ';,=.wav', '\ud83c'];
  for (const filename of odd) {
    const header = named(filename);
    assert.doesNotThrow(() => validateHeaderValue('content-disposition', header), filename);
  }
});
