import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliUsageError } from './exit-codes';
import { MetaCsv } from './meta-csv';

describe('the encoding of a --meta-csv file', () => {
  let dir: string;
  const load = async (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return MetaCsv.load(file);
  };
  const utf16 = (text: string, order: 'le' | 'be') => {
    const le = Buffer.from(`\ufeff${text}`, 'utf16le');
    return order === 'le' ? le : le.swap16();
  };
  const TEXT = 'Filename,Title,Artist\nCafé.wav,Déjà vu,Ørsted 日本\n';
  const META = { Title: 'Déjà vu', Artist: 'Ørsted 日本' };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-csv-enc-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads UTF-8 with and without a BOM', async () => {
    const plain = await load('plain.csv', Buffer.from(TEXT));
    assert.deepEqual(plain.metaFor('Café.wav'), META);
    const bom = await load('bom.csv', Buffer.from(`\ufeff${TEXT}`));
    assert.deepEqual(bom.fields, ['Title', 'Artist']);
    assert.deepEqual(bom.metaFor('Café.wav'), META);
  });

  it('decodes UTF-16 LE and BE that start with a BOM', async () => {
    for (const order of ['le', 'be'] as const) {
      const table = await load(`utf16${order}.csv`, utf16(TEXT, order));
      assert.deepEqual(table.fields, ['Title', 'Artist'], order);
      assert.deepEqual(table.metaFor('Café.wav'), META, order);
    }
  });

  it('refuses Latin-1 by file, line and character', async () => {
    const latin1 = Buffer.from(TEXT.replace(' 日本', ''), 'latin1');
    const file = path.join(dir, 'latin1.csv');
    await assert.rejects(load('latin1.csv', latin1), (err: Error) => {
      assert.ok(err instanceof CliUsageError);
      assert.equal(
        err.message,
        `${file}: line 2, character 4: not UTF-8 (byte 0xE9); ` +
          'save the file as UTF-8 (UTF-16 with a BOM is read too)',
      );
      return true;
    });
  });

  it('refuses a sequence cut short at the end, and UTF-16 without a BOM', async () => {
    const cut = Buffer.concat([Buffer.from('File,Title\na.wav,x'), Buffer.from([0xe6, 0x97])]);
    await assert.rejects(load('cut.csv', cut), /line 2, character 8: not UTF-8 \(byte 0xE6\)/);
    const noBom = Buffer.from(TEXT, 'utf16le');
    await assert.rejects(
      load('nobom.csv', noBom),
      /nobom\.csv: line 1, character 2: NUL character \(UTF-16 without a BOM\?\)/,
    );
    const odd = Buffer.concat([utf16('File,Title\n', 'le'), Buffer.from([0x41])]);
    await assert.rejects(load('odd.csv', odd), /not valid UTF-16 LE/);
  });
});
