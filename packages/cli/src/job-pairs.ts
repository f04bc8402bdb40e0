import {
  IngestApiError,
  IngestNetworkError,
  type IngestClient,
  type ListedUpload,
} from '@ingest/client';
import type { CliOutput } from './cli-output';
import type { UploadItem } from './source-collector';
import {
  extOf,
  lengthOf,
  lengthsApart,
  stemOf,
  type LengthProbe,
  type PairedSource,
  type PairProblem,
} from './source-pairs';

/**
 * Sources of this run that would join an upload already waiting in the
 * job (same name, another extension: the gateway matches a run's files
 * against the whole job, not the run) and whose length differs clearly
 * from that upload's: it would fail `verification_failed` after
 * publish. `list` gives each waiting upload's file name and its
 * source's length from the header. When either length is not known,
 * the pair passes: where the upload's file lay is not known, and files
 * of one folder whose lengths cannot be read are the documented pairing.
 */
export async function jobPairProblems(
  client: IngestClient,
  jobId: number | undefined,
  items: UploadItem[],
  probe: LengthProbe,
  signal?: AbortSignal,
): Promise<PairProblem[]> {
  const listing = await client.list(jobId, { signal });
  if (listing.state !== 'open') return [];
  const waiting = new Map<string, ListedUpload[]>();
  for (const upload of listing.tracks) {
    const name = upload.file_name;
    // Checked here: the SDK checks the fields every answer has.
    if (upload.status !== 'uploaded' || typeof name !== 'string') continue;
    if (extOf(name) === '') continue;
    waiting.set(stemOf(name), [...(waiting.get(stemOf(name)) ?? []), upload]);
  }

  const problems: PairProblem[] = [];
  for (const item of items) {
    if (extOf(item.name) === '') continue;
    const joined = (waiting.get(stemOf(item.name)) ?? []).filter(
      (upload) =>
        extOf(upload.file_name!) !== extOf(item.name) &&
        typeof upload.source_seconds === 'number',
    );
    if (joined.length === 0) continue;
    const file = await lengthOf(item, probe, signal);
    const length = file.duration_s;
    if (length === null) continue;
    for (const upload of joined) {
      if (!lengthsApart(upload.source_seconds!, length)) continue;
      problems.push({ problem: 'lengths_differ', files: [inJob(upload, listing.job_id), file] });
    }
  }
  return problems;
}

function inJob(upload: ListedUpload, jobId: number): PairedSource {
  return {
    source: `upload ${upload.upload_id} in job ${jobId}: ${upload.file_name}`,
    upload_id: upload.upload_id,
    duration_s: upload.source_seconds!,
  };
}

/**
 * `jobPairProblems`, or none with a note when the job cannot be listed:
 * the check is a guard before sending, and the uploads themselves say
 * what is wrong with the job or the gateway (a job not found, say).
 */
export async function jobPairsOrNote(
  client: IngestClient,
  out: CliOutput,
  jobId: number | undefined,
  items: UploadItem[],
  probe: LengthProbe,
  signal?: AbortSignal,
): Promise<PairProblem[]> {
  try {
    return await jobPairProblems(client, jobId, items, probe, signal);
  } catch (err) {
    if (!(err instanceof IngestApiError || err instanceof IngestNetworkError)) throw err;
    if (signal?.aborted) throw err;
    out.note(
      `could not list the job to compare these files with its uploads ` +
        `(${err.message}); they are compared with each other only`,
    );
    return [];
  }
}
