import { setTimeout as sleep } from 'node:timers/promises';
import {
  IngestApiError,
  IngestNetworkError,
  UploadFileError,
  type IngestClient,
  type Meta,
  type UploadResult,
} from '@ingest/client';
import { oneLine } from '../cli-output';
import type { Command, CommandContext } from '../command';
import { describeError } from '../describe-error';
import { CliUsageError, EXIT, type ExitCode } from '../exit-codes';
import { checkFieldNames, parseMetaFlags } from '../meta-args';
import { MetaCsv } from '../meta-csv';
import {
  formatsOption,
  MAX_SECONDS,
  optionalId,
  optionalText,
  positiveNumber,
} from '../option-readers';
import {
  collectSources,
  describeIgnored,
  describeNotFiles,
  type UploadItem,
} from '../source-collector';
import { jobPairsOrNote } from '../job-pairs';
import {
  describePairProblem,
  headerLengths,
  pairProblems,
} from '../source-pairs';

/**
 * Errors after which the next upload would fail the same way. A network
 * error comes after the SDK's retries (about 13 s): each next file paid
 * them again, so a wrong port or a gateway gone held a folder of 300
 * files for an hour. Run again, the files sent are told apart.
 */
const FATAL_CODES = new Set([
  'network_error',
  'unauthorized',
  'job_closed',
  'not_found',
  'quota_exceeded',
]);

/** Said after a 507 `quota_exceeded`, which exits 6. */
const QUOTA_FULL =
  "the site's storage quota is full: nothing more is stored until " +
  'tracks or uploads of the site are deleted, or the operator raises ' +
  'INGEST_SITE_QUOTA';

type Outcome =
  | { source: string } & UploadResult
  | {
      source: string;
      error: string;
      code: string;
      status?: number;
      retryAfterMs?: number;
      /** The first upload, of a `duplicate_upload`. */
      upload_id?: number;
    }
  | { source: string; error: string; code: 'file_error'; errno: string }
  | { source: string; upload_id: number; already_in_job: true };

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
  --slot-wait SECS    wait this long for the site's upload slot while
                      another client uploads (default 300)
  --pair-anyway       send files of one name and other extensions as one
                      upload without comparing their lengths first (with
                      each other and with the job's waiting uploads)

Folders are walked for audio files (hidden entries skipped; other files
are counted in one line on stderr, as are links to nothing or to folders,
pipes, sockets and devices, one line per kind). Files of one name and
other extensions (song.wav, song.mp3) become one upload: when their
lengths differ, or they lie in different folders and their lengths
cannot be read, nothing is sent (exit 1). So with an upload waiting in
the job: a file that would join one of another length is refused the
same way. A CSV row wins over --meta
for its file. Uploads run one at a time.`,
  options: {
    job: { type: 'string' },
    formats: { type: 'string' },
    meta: { type: 'string', multiple: true },
    'meta-csv': { type: 'string' },
    oncomplete: { type: 'string' },
    'slot-wait': { type: 'string' },
    'pair-anyway': { type: 'boolean' },
  },
  takesOperands: true,

  async run(ctx: CommandContext) {
    const { client, out, values, positionals, signal } = ctx;
    if (positionals.length === 0) {
      throw new CliUsageError('upload needs at least one file, folder or URL');
    }
    const jobId = optionalId(values, 'job');
    const formats = formatsOption(values);
    const oncomplete = optionalText(values, 'oncomplete');
    const slotWaitMs =
      positiveNumber(values, 'slot-wait', 300, MAX_SECONDS) * 1000;
    const flagMeta = parseMetaFlags((values.meta as string[] | undefined) ?? []);
    const csvFile = optionalText(values, 'meta-csv');
    const csv = csvFile ? await MetaCsv.load(csvFile) : undefined;
    const { items, ignored, notFiles } = await collectSources(positionals);
    const notAudio = describeIgnored(ignored);
    if (notAudio) out.note(notAudio);
    for (const line of describeNotFiles(notFiles)) out.note(line);
    if (items.length === 0) {
      throw new CliUsageError('no audio files found in the given folders');
    }
    if (!values['pair-anyway']) {
      const refused = await refusePairs(ctx, items, jobId);
      if (refused) return refused;
    }

    const fieldNames = [...Object.keys(flagMeta), ...(csv?.fields ?? [])];
    if (fieldNames.length > 0) {
      checkFieldNames(fieldNames, await client.getAvailableFields({ signal }));
    }

    const outcomes: Outcome[] = [];
    /** Upload id -> the source that made it, for sources added to it. */
    const sentBy = new Map<number, string>();
    let interrupted = false;
    for (const item of items) {
      const meta = { ...flagMeta, ...csv?.metaFor(item.name) };
      let outcome: Outcome;
      try {
        const send = () =>
          uploadOne(client, item, {
            jobId,
            formats,
            oncomplete,
            meta: Object.keys(meta).length > 0 ? meta : undefined,
            signal,
          });
        outcome = await waitingForSlot(ctx, send, slotWaitMs);
      } catch (err) {
        // Ctrl-C: the file being sent is dropped; what was sent stays.
        if (!signal?.aborted) throw err;
        interrupted = true;
        break;
      }
      outcome = alreadyInJob(outcome, sentBy);
      outcomes.push(outcome);
      const source = oneLine(outcome.source);
      if ('already_in_job' in outcome) {
        out.note(
          `${source}: already in the job as upload ${outcome.upload_id} ` +
            '(the same bytes); not sent again' +
            (Object.keys(meta).length > 0 ? ', its metadata not changed' : ''),
        );
      } else if ('error' in outcome) {
        out.note(`${source}: ${outcome.error} [${outcome.code}]`);
        if (outcome.code === 'quota_exceeded') out.note(QUOTA_FULL);
        if (FATAL_CODES.has(outcome.code)) break;
      } else {
        // Same stem, another extension: the gateway made it a source of
        // an upload of this run (README, "Secondary sources").
        const first = sentBy.get(outcome.upload_id);
        const added = first ? ` (a source of ${oneLine(first)}'s upload)` : '';
        sentBy.set(outcome.upload_id, first ?? outcome.source);
        out.line(
          `uploaded ${source} -> upload ${outcome.upload_id} ` +
            `[${outcome.formats.join(',')}]${added}`,
        );
      }
    }

    const unmatched = csv?.unused() ?? [];
    for (const name of unmatched) out.note(`CSV row matched no source: ${name}`);
    const failed = outcomes.filter((o) => 'error' in o).length;
    const there = outcomes.filter((o) => 'already_in_job' in o).length;
    const notSent = items.length - outcomes.length;
    if (interrupted) out.note(`interrupted; ${notSent} source(s) not sent`);
    else if (notSent > 0) out.note(`stopped; ${notSent} source(s) not sent`);
    out.result({
      uploads: outcomes,
      unmatched_csv_rows: unmatched,
      not_sent: notSent,
      not_audio_files: {
        count: ignored.count,
        extensions: Object.fromEntries(ignored.byExtension),
      },
      not_files: notFiles,
      ...(interrupted && { interrupted: true }),
    });
    const attached = outcomes.length - failed - there - sentBy.size;
    out.line(
      `${outcomes.length - failed - there} uploaded, ` +
        (there > 0 ? `${there} already in the job, ` : '') +
        `${failed} failed` +
        (attached > 0 ? ` (${attached} as a source of another's upload)` : ''),
    );
    if (interrupted) return EXIT.interrupted;
    const full = outcomes.some((o) => 'code' in o && o.code === 'quota_exceeded');
    if (full) return EXIT.quotaExceeded;
    return failed > 0 || notSent > 0 ? EXIT.api : EXIT.ok;
  },
};

/**
 * Before anything is sent: files the gateway would join as one upload
 * that are most likely different recordings (`cd1/01.wav`, `cd2/01.flac`),
 * among this run's files or with an upload waiting in the job.
 */
async function refusePairs(
  { client, out, signal }: CommandContext,
  items: UploadItem[],
  jobId: number | undefined,
): Promise<ExitCode | undefined> {
  const probe = headerLengths();
  const problems = [
    ...(await pairProblems(items, probe, signal)),
    ...(await jobPairsOrNote(client, out, jobId, items, probe, signal)),
  ];
  if (problems.length === 0) return undefined;
  for (const problem of problems) out.note(describePairProblem(problem));
  const message =
    `nothing sent: ${problems.length} group(s) of files of one name would ` +
    'each be one upload (README, "Secondary sources"); give them names ' +
    'that differ before the extension, upload each folder to a job of ' +
    'its own (ingest create-job, then --job), or send them as they are ' +
    'with --pair-anyway';
  out.note(message);
  out.result({ error: message, code: 'mismatched_sources', groups: problems });
  return EXIT.usage;
}

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
    if (err instanceof IngestApiError) {
      const { upload_id } = err.body;
      return {
        source,
        ...describeError(err),
        retryAfterMs: err.retryAfterMs,
        ...(typeof upload_id === 'number' && { upload_id }),
      };
    }
    if (err instanceof IngestNetworkError) {
      return { source, ...describeError(err) };
    }
    // A file gone or unreadable since the folder was walked: that file
    // fails, the others go on.
    if (err instanceof UploadFileError) {
      // The note puts the source in front; the message has it too.
      return { source, error: err.reason, code: 'file_error', errno: err.code };
    }
    throw err;
  }
}

/**
 * A file a run before this one sent (one cut short by Ctrl-C, run
 * again): the job holds its bytes, so the gateway refuses it as
 * `duplicate_upload`. That is done, not failed. The same bytes twice in
 * this run (two copies under other names) stay a failure.
 */
function alreadyInJob(outcome: Outcome, sentBy: Map<number, string>): Outcome {
  if (!('code' in outcome) || outcome.code !== 'duplicate_upload') return outcome;
  const uploadId = 'upload_id' in outcome ? outcome.upload_id : undefined;
  if (typeof uploadId !== 'number' || sentBy.has(uploadId)) return outcome;
  return { source: outcome.source, upload_id: uploadId, already_in_job: true };
}

/**
 * Sends again while the site's upload slot is busy (another client
 * uploading), past the SDK's own retries, until `waitMs` has passed;
 * between tries, the gateway's Retry-After.
 */
async function waitingForSlot(
  { notes, signal }: CommandContext,
  send: () => Promise<Outcome>,
  waitMs: number,
): Promise<Outcome> {
  const started = Date.now();
  for (;;) {
    const outcome = await send();
    const busy = 'error' in outcome && outcome.code === 'upload_in_progress';
    const waited = Date.now() - started;
    if (!busy || waited >= waitMs) return withoutRetryAfter(outcome);
    notes.say(
      'another upload of this site is in progress; waiting for the upload ' +
        `slot (${Math.round(waited / 1000)} s of ${waitMs / 1000} s)`,
    );
    const pause = outcome.retryAfterMs ?? 2_000;
    await sleep(Math.min(pause, waitMs - waited), undefined, { signal });
  }
}

/** The outcome as reported: Retry-After served the wait only. */
function withoutRetryAfter(outcome: Outcome): Outcome {
  if (!('retryAfterMs' in outcome)) return outcome;
  const { retryAfterMs: _, ...rest } = outcome;
  return rest;
}
