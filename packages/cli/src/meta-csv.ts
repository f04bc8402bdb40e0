import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Meta } from '@ingest/client';
import { readCsvText } from './csv-text';
import { CliUsageError } from './exit-codes';

/** Columns that name the file a row is for; not sent as metadata. */
const KEY_COLUMNS = ['filename', 'file'];

interface CsvRow {
  key: string;
  /** The key as names are compared: Unicode NFC. */
  match: string;
  meta: Meta;
  used: boolean;
}

/**
 * Metadata per file from a CSV: a header row of standard field names plus
 * a `Filename` (or `File`) column. A row matches a source by its file
 * name: exactly, then ignoring case, then ignoring the extension (so a
 * row `song` or `song.wav` also serves `song.flac`). Blank
 * cells are left out, so they neither set nor clear a field; rows of
 * blank cells only are skipped. What would be dropped without a word is
 * refused instead, by line and column: a value beyond the header's
 * columns or under a blank header, a header name given twice, two rows
 * for one file name.
 */
export class MetaCsv {
  readonly fields: string[];

  private constructor(
    private readonly rows: CsvRow[],
    fields: string[],
  ) {
    this.fields = fields;
  }

  static async load(file: string): Promise<MetaCsv> {
    const records = parseRecords(file, await readCsvText(file));
    const [header, ...body] = records;
    if (!header) throw new CliUsageError(`${file} is empty`);

    const names = header.cells.map((h) => h.trim());
    const keyAt = keyColumn(file, header.line, names);
    checkHeader(file, header.line, names);
    const seen = new Map<string, { line: number; given: string }>();
    const rows = body.map(({ cells, line }) => {
      checkCells(file, line, names, cells);
      const key = (cells[keyAt] ?? '').trim();
      if (!key) {
        throw new CliUsageError(`${file}: line ${line} has no file name`);
      }
      checkRepeat(file, seen, { line, given: key });
      const meta: Meta = {};
      names.forEach((name, i) => {
        const value = cells[i]?.trim();
        if (i !== keyAt && name && value) meta[name] = value;
      });
      const name = path.basename(key);
      return { key: name, match: name.normalize('NFC'), meta, used: false };
    });
    const fields = names.filter((name, i) => name && i !== keyAt);
    return new MetaCsv(rows, fields);
  }

  /** The row for a source file name, marked as used; undefined if none. */
  metaFor(name: string): Meta | undefined {
    // `ó` as one code point or as `o` and an accent: a file named on macOS
    // has the second, a CSV typed in a spreadsheet the first, and the two
    // look the same ("CSV row matched no source: Mi Korasón.flac").
    const given = name.normalize('NFC');
    const lower = given.toLowerCase();
    const stem = (n: string) => n.slice(0, n.length - path.extname(n).length);
    const row =
      this.rows.find((r) => r.match === given) ??
      this.rows.find((r) => r.match.toLowerCase() === lower) ??
      this.rows.find((r) => stem(r.match).toLowerCase() === stem(lower));
    if (!row) return undefined;
    row.used = true;
    return row.meta;
  }

  /** File names of rows no source matched, to warn about. */
  unused(): string[] {
    return this.rows.filter((r) => !r.used).map((r) => r.key);
  }
}

interface CsvRecord {
  cells: string[];
  /** The line the record starts on, 1 for the first. */
  line: number;
}

/** The records with the lines they start on; blank rows left out. */
function parseRecords(file: string, text: string): CsvRecord[] {
  let parsed: Array<{ record: string[]; raw: string }>;
  try {
    parsed = parse(text, {
      bom: true,
      raw: true,
      relax_column_count: true,
    }) as unknown as typeof parsed;
  } catch (err) {
    throw new CliUsageError(`${file}: ${(err as Error).message}`);
  }
  const records: CsvRecord[] = [];
  let line = 1;
  for (const { record, raw } of parsed) {
    if (record.some((cell) => cell.trim())) records.push({ cells: record, line });
    // `raw` holds the record's line breaks: those in quoted cells and
    // (the first character of) the one that ends it.
    line += raw.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return records;
}

/** Where the `Filename` (or `File`) column is; exactly one is needed. */
function keyColumn(file: string, line: number, names: string[]): number {
  const keys = names.flatMap((name, i) =>
    KEY_COLUMNS.includes(name.toLowerCase()) ? [i] : [],
  );
  if (keys.length === 0) {
    throw new CliUsageError(`${file} needs a Filename or File column`);
  }
  if (keys.length > 1) {
    throw new CliUsageError(
      `${file}: line ${line}: columns ${keys.map((i) => i + 1).join(' and ')} ` +
        `(${keys.map((i) => names[i]).join(', ')}) both name the file; keep one`,
    );
  }
  return keys[0];
}

/** A field named twice would have one column silently win. */
function checkHeader(file: string, line: number, names: string[]): void {
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (name && first < i) {
      throw new CliUsageError(
        `${file}: line ${line}, column ${i + 1}: "${name}" repeats column ` +
          `${first + 1}; give each field one column`,
      );
    }
  });
}

/**
 * Rows match by file name alone: of two rows naming one (`a/x.wav` and
 * `b/x.wav` included), the first would serve every such file and the
 * second none, so the second is refused, by line.
 */
function checkRepeat(
  file: string,
  seen: Map<string, { line: number; given: string }>,
  row: { line: number; given: string },
): void {
  const name = path.basename(row.given).normalize('NFC');
  const first = seen.get(name);
  if (!first) {
    seen.set(name, row);
    return;
  }
  throw new CliUsageError(
    `${file}: line ${row.line}: "${excerpt(row.given)}" names the file of line ` +
      `${first.line} ("${excerpt(first.given)}"); rows match by file name ` +
      'alone, so give each file name one row',
  );
}

/** A value with no field name to go under would be dropped. */
function checkCells(
  file: string,
  line: number,
  names: string[],
  cells: string[],
): void {
  const at = cells.findIndex((cell, i) => cell.trim() && !names[i]);
  if (at < 0) return;
  const where =
    at >= names.length
      ? `beyond the header's ${names.length} columns`
      : 'under a blank header';
  throw new CliUsageError(
    `${file}: line ${line}, column ${at + 1}: a value ${where} ` +
      `("${excerpt(cells[at])}"); name the column in the header or remove the value`,
  );
}

function excerpt(value: string): string {
  const flat = value.trim().replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 40)}…` : flat;
}
