import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiError } from '@ingest/core';
import type { SentPart } from './multipart-parts';
import { FieldTexts } from './multipart-text';

/** A field part as sent: its name and value bytes (latin1 text). */
function field(name: string, value: string): SentPart {
  const bytes = Buffer.from(value, 'latin1');
  return { name, rawName: name, file: false, charset: undefined, bytes };
}

test('a _charset_ naming UTF-16 is refused, not the file name read in it', () => {
  for (const charset of ['utf-16le', 'UTF-16', 'utf-16be', 'unicodefffe']) {
    const added: Array<[string, string]> = [];
    const texts = new FieldTexts((name, value) => added.push([name, value]));
    const file: SentPart = { ...field('file', ''), file: true, rawFileName: 'ab.mp3' };
    // `ab.mp3` in UTF-16LE is three CJK characters.
    assert.throws(
      () => {
        texts.take(field('_charset_', charset));
        texts.flush();
        texts.fileName(file);
      },
      (err: ApiError) =>
        err.code === 'unsupported_media_type' && /_charset_ .* UTF-8/.test(err.message),
      charset,
    );
  }
  // Other charsets read the name as before.
  const texts = new FieldTexts(() => {});
  texts.take(field('_charset_', 'iso-8859-1'));
  texts.flush();
  const file: SentPart = { ...field('file', ''), file: true, rawFileName: 'caf\xe9.mp3' };
  assert.equal(texts.fileName(file), 'café.mp3');
});
