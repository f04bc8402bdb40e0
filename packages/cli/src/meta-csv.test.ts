import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliUsageError } from './exit-codes';
import { checkFieldNames, parseMetaFlags } from './meta-args';
import { MetaCsv } from './meta-csv';

describe('metadata from the command line', () => {
  let dir: string;
  const csv = async (text: string) => {
    const file = path.join(dir, `${Math.random()}.csv`);
    await writeFile(file, text);
    return MetaCsv.load(file);
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-csv-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches a name whose accents are composed otherwise (macOS: NFD)', async () => {
    const composed = 'Mi Koras\u00f3n.flac';
    const decomposed = 'Mi Koraso\u0301n.flac';
    const table = await csv(`Filename,Title\n${composed},Found\n`);
    assert.deepEqual(table.metaFor(decomposed), { Title: 'Found' });
    assert.deepEqual(table.unused(), []);
    const both = csv(`Filename,Title\n${composed},A\n${decomposed},B\n`);
    await assert.rejects(both, /line 3: .* names the file of line 2/);
  });

  it('matches rows by name, then case, then stem', async () => {
    const table = await csv(
      'File,Title,Lyrics\n' +
        'Song.WAV,Exact,"two\nlines"\n' +
        'other.mp3,Case,\n' +
        'folder/stem,Stem,\n' +
        'unused.wav,Nope,\n',
    );
    assert.deepEqual(table.fields, ['Title', 'Lyrics']);
    assert.deepEqual(table.metaFor('Song.WAV'), {
      Title: 'Exact',
      Lyrics: 'two\nlines',
    });
    assert.deepEqual(table.metaFor('OTHER.MP3'), { Title: 'Case' });
    assert.deepEqual(table.metaFor('stem.flac'), { Title: 'Stem' });
    assert.equal(table.metaFor('absent.wav'), undefined);
    assert.deepEqual(table.unused(), ['unused.wav']);
  });

  it('refuses a CSV without a file column', async () => {
    await assert.rejects(csv('Title,Artist\nA,B\n'), CliUsageError);
    await assert.rejects(csv('Filename,Title\n,B\n'), /line 2 has no file name/);
  });

  it('refuses values beyond the header, by line and column', async () => {
    // Line numbers count the lines of quoted cells and skipped blank rows.
    const text =
      'Filename,Title,\r\n' +
      'a.wav,"two\r\nlines",\r\n' +
      '\r\n' +
      ',,\r\n' +
      'b.wav,B,,  \r\n' +
      'c.wav,C,,Extra value\r\n';
    await assert.rejects(
      csv(text),
      /\.csv: line 7, column 4: a value beyond the header's 3 columns \("Extra value"\)/,
    );
    const table = await csv(text.replace('Extra value', ''));
    assert.deepEqual(table.metaFor('b.wav'), { Title: 'B' });
    await assert.rejects(
      csv('File,,Title\na.wav,,A\nb.wav,x,B\n'),
      /line 3, column 2: a value under a blank header \("x"\)/,
    );
  });

  it('refuses a header that names a field or the file twice', async () => {
    await assert.rejects(
      csv('File,Title,Artist, Title\na.wav,A,B,C\n'),
      /line 1, column 4: "Title" repeats column 2/,
    );
    await assert.rejects(
      csv('\n\nFile,Title,filename\na.wav,A,b.wav\n'),
      /line 3: columns 1 and 3 \(File, filename\) both name the file/,
    );
  });

  it('refuses two rows for one file name, folders or not', async () => {
    await assert.rejects(
      csv('Filename,Title\nx.wav,One\nother.wav,O\nx.wav,Two\n'),
      /line 4: "x\.wav" names the file of line 2 \("x\.wav"\)/,
    );
    // Only the name counts: one row would serve both folders' x.wav.
    await assert.rejects(
      csv('Filename,Title\ncd1/x.wav,One\ncd2/x.wav,Two\n'),
      /line 3: "cd2\/x\.wav" names the file of line 2 \("cd1\/x\.wav"\)/,
    );
    // Names differing in case are files of their own.
    const table = await csv('Filename,Title\nX.wav,Upper\nx.wav,Lower\n');
    assert.deepEqual(table.metaFor('x.wav'), { Title: 'Lower' });
    assert.deepEqual(table.metaFor('X.wav'), { Title: 'Upper' });
  });

  it('reads --meta flags and checks names against the site', () => {
    const meta = parseMetaFlags(['Title=A=B', 'Mood= calm', 'Title=C']);
    assert.deepEqual(meta, { Title: 'C', Mood: ' calm' });
    assert.throws(() => parseMetaFlags(['=x']), CliUsageError);
    assert.throws(() => parseMetaFlags(['Title']), CliUsageError);

    const available = {
      fields: ['Title', 'Writer {X} First Name', 'Publisher {X} Territory {Y}'],
      custom_fields: ['Custom: External ID'],
    };
    checkFieldNames(
      ['Title', 'Writer 2 First Name', 'Publisher 1 Territory 3', 'Custom: External ID'],
      available,
    );
    assert.throws(
      () => checkFieldNames(['Writer X First Name', 'Custom: Other'], available),
      /unknown metadata fields: Writer X First Name, Custom: Other;/,
    );
  });
});
