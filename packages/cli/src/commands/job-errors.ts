import type { IngestClient, JobProgress, ListedUpload } from '@ingest/client';
import type { CliOutput } from '../cli-output';

export type ErroredUpload = Pick<
  ListedUpload,
  'upload_id' | 'file_name' | 'error' | 'error_code'
>;

/**
 * Lists a job's errored uploads on stderr, each by the name of the file
 * it was made from (what the person gave; a gateway too old to list it
 * leaves the upload id alone), with its error code and reason.
 */
export async function reportErrored(
  client: IngestClient,
  out: CliOutput,
  progress: JobProgress,
  signal?: AbortSignal,
): Promise<ErroredUpload[]> {
  if (progress.e === 0) return [];
  const { tracks } = await client.list(progress.job_id, { signal });
  const errored = tracks
    .filter((t) => t.status === 'error')
    .map(({ upload_id, file_name, error, error_code }) => ({
      upload_id,
      ...(typeof file_name === 'string' ? { file_name } : {}),
      error,
      error_code,
    }));
  for (const upload of errored) out.note(erroredLine(upload));
  return errored;
}

/**
 * The name of the file an upload was made from, kept to one line (a line
 * break in it would start a false line or row); none from a gateway too
 * old to list it.
 */
export function uploadFileName(upload: Pick<ListedUpload, 'file_name'>): string | undefined {
  return upload.file_name?.replace(/\n/g, '\\n');
}

function erroredLine(upload: ErroredUpload): string {
  const name = uploadFileName(upload);
  const who = name ? `${name} (upload ${upload.upload_id})` : `upload ${upload.upload_id}`;
  return (
    `${who} errored: ${upload.error ?? 'no reason given'}` +
    (upload.error_code ? ` [${upload.error_code}]` : '')
  );
}
