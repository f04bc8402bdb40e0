import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Meta } from '@ingest/client';
import { readCsvText } from './csv-text';
import { CliUsageError } from './exit-codes';

/** Columns that name the file a row is for; not sent as metadata. */
const KEY_COLUMNS = ['filename', 'file'];

interface CsvRow {
  key: string;
  meta: Meta;
  used: boolean;
}

/**
 * Metadata per file from a CSV: a header row of standard field names plus
 * a `Filename` (or `File`) column. A row matches a source by its file
 * name: exactly, then ignoring case, then ignoring the extension (so a
 * row `song` or `song.wav` also serves `song.flac`). Blank
 * cells are left out, so they neither set nor clear a field.
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
    const text = await readCsvText(file);
    let records: string[][];
    try {
      records = parse(text, {
        bom: true,
        skip_empty_lines: true,
        relax_column_count: true,
      }) as string[][];
    } catch (err) {
      throw new CliUsageError(`${file}: ${(err as Error).message}`);
    }
    const [header, ...body] = records;
    if (!header) throw new CliUsageError(`${file} is empty`);

    const names = header.map((h) => h.trim());
    const keyAt = names.findIndex((h) => KEY_COLUMNS.includes(h.toLowerCase()));
    if (keyAt < 0) {
      throw new CliUsageError(`${file} needs a Filename or File column`);
    }
    const rows = body.map((cells, line) => {
      const key = (cells[keyAt] ?? '').trim();
      if (!key) {
        throw new CliUsageError(`${file}: row ${line + 2} has no file name`);
      }
      const meta: Meta = {};
      names.forEach((name, i) => {
        const value = cells[i]?.trim();
        if (i !== keyAt && name && value) meta[name] = value;
      });
      return { key: path.basename(key), meta, used: false };
    });
    const fields = names.filter((name, i) => name && i !== keyAt);
    return new MetaCsv(rows, fields);
  }

  /** The row for a source file name, marked as used; undefined if none. */
  metaFor(name: string): Meta | undefined {
    const lower = name.toLowerCase();
    const stem = (n: string) => n.slice(0, n.length - path.extname(n).length);
    const row =
      this.rows.find((r) => r.key === name) ??
      this.rows.find((r) => r.key.toLowerCase() === lower) ??
      this.rows.find((r) => stem(r.key).toLowerCase() === stem(lower));
    if (!row) return undefined;
    row.used = true;
    return row.meta;
  }

  /** File names of rows no source matched, to warn about. */
  unused(): string[] {
    return this.rows.filter((r) => !r.used).map((r) => r.key);
  }
}
