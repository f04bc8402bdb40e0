import {
  IngestApiError,
  IngestNetworkError,
  UploadFileError,
  type IngestClient,
  type Meta,
  type UploadResult,
} from '@ingest/client';
import type { Command, CommandContext } from '../command';
import { describeError } from '../describe-error';
import { CliUsageError, EXIT } from '../exit-codes';
import { checkFieldNames, parseMetaFlags } from '../meta-args';
import { MetaCsv } from '../meta-csv';
import { formatsOption, optionalId, optionalText } from '../option-readers';
import { collectSources, type UploadItem } from '../source-collector';

/** Errors after which the next upload would fail the same way. */
const FATAL_CODES = new Set(['unauthorized', 'job_closed', 'not_found']);

type Outcome =
  | { source: string } & UploadResult
  | { source: string; error: string; code: string; status?: number }
  | { source: string; error: string; code: 'file_error'; errno: string };

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload files, folders (recursively) and URLs to a job',
  usage: `ingest upload <file|folder|url>... [options]

  --job ID            add to this job (default: the site's main job)
  --formats LIST      final formats, e.g. mp3,wav (default: sources + mp3)
  --meta Field=Value  metadata for every upload; repeatable
  --meta-csv FILE     metadata per file: standard field columns plus a
                      Filename (or File) column naming each file
  --oncomplete X      email or URL told when the job completes

Folders are walked for audio files (hidden entries skipped). A CSV row
wins over --meta for its file. Uploads run one at a time.`,
  options: {
    job: { type: 'string' },
    formats: { type: 'string' },
    meta: { type: 'string', multiple: true },
    'meta-csv': { type: 'string' },
    oncomplete: { type: 'string' },
  },

  async run({ client, out, values, positionals, signal }: CommandContext) {
    if (positionals.length === 0) {
      throw new CliUsageError('upload needs at least one file, folder or URL');
    }
    const jobId = optionalId(values, 'job');
    const formats = formatsOption(values);
    const oncomplete = optionalText(values, 'oncomplete');
    const flagMeta = parseMetaFlags((values.meta as string[] | undefined) ?? []);
    const csvFile = optionalText(values, 'meta-csv');
    const csv = csvFile ? await MetaCsv.load(csvFile) : undefined;
    const items = await collectSources(positionals);
    if (items.length === 0) {
      throw new CliUsageError('no audio files found in the given folders');
    }

    const fieldNames = [...Object.keys(flagMeta), ...(csv?.fields ?? [])];
    if (fieldNames.length > 0) {
      checkFieldNames(fieldNames, await client.getAvailableFields());
    }

    const outcomes: Outcome[] = [];
    let interrupted = false;
    for (const item of items) {
      const meta = { ...flagMeta, ...csv?.metaFor(item.name) };
      let outcome: Outcome;
      try {
        outcome = await uploadOne(client, item, {
          jobId,
          formats,
          oncomplete,
          meta: Object.keys(meta).length > 0 ? meta : undefined,
          signal,
        });
      } catch (err) {
        // Ctrl-C: the file being sent is dropped; what was sent stays.
        if (!signal?.aborted) throw err;
        interrupted = true;
        break;
      }
      outcomes.push(outcome);
      if ('error' in outcome) {
        out.note(`${outcome.source}: ${outcome.error} [${outcome.code}]`);
        if (FATAL_CODES.has(outcome.code)) break;
      } else {
        out.line(
          `uploaded ${outcome.source} -> upload ${outcome.upload_id} ` +
            `[${outcome.formats.join(',')}]`,
        );
      }
    }

    const unmatched = csv?.unused() ?? [];
    for (const name of unmatched) out.note(`CSV row matched no source: ${name}`);
    const failed = outcomes.filter((o) => 'error' in o).length;
    const skipped = items.length - outcomes.length;
    if (interrupted) out.note(`interrupted; ${skipped} source(s) not sent`);
    else if (skipped > 0) out.note(`stopped; ${skipped} source(s) not sent`);
    out.result({
      uploads: outcomes,
      unmatched_csv_rows: unmatched,
      skipped,
      ...(interrupted && { interrupted: true }),
    });
    out.line(`${outcomes.length - failed} uploaded, ${failed} failed`);
    if (interrupted) return EXIT.interrupted;
    return failed > 0 || skipped > 0 ? EXIT.api : EXIT.ok;
  },
};

async function uploadOne(
  client: IngestClient,
  item: UploadItem,
  options: {
    jobId?: number;
    formats?: UploadResult['formats'];
    oncomplete?: string;
    meta?: Meta;
    signal?: AbortSignal;
  },
): Promise<Outcome> {
  const source = item.kind === 'url' ? item.url : item.path;
  try {
    const answer = await client.upload(
      item.kind === 'url' ? { url: item.url } : { file: item.path },
      options,
    );
    return { source, ...(answer as UploadResult) };
  } catch (err) {
    if (err instanceof IngestApiError || err instanceof IngestNetworkError) {
      return { source, ...describeError(err) };
    }
    // A file gone or unreadable since the folder was walked: that file
    // fails, the others go on.
    if (err instanceof UploadFileError) {
      return { source, error: err.message, code: 'file_error', errno: err.code };
    }
    throw err;
  }
}
