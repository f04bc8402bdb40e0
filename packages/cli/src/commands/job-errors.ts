import type { IngestClient, JobProgress, ListedUpload } from '@ingest/client';
import type { CliOutput } from '../cli-output';

/** Lists a job's errored uploads with their reasons, on stderr. */
export async function reportErrored(
  client: IngestClient,
  out: CliOutput,
  progress: JobProgress,
  signal?: AbortSignal,
): Promise<Array<Pick<ListedUpload, 'upload_id' | 'error' | 'error_code'>>> {
  if (progress.e === 0) return [];
  const { tracks } = await client.list(progress.job_id, { signal });
  const errored = tracks
    .filter((t) => t.status === 'error')
    .map(({ upload_id, error, error_code }) => ({
      upload_id,
      error,
      error_code,
    }));
  for (const upload of errored) {
    out.note(
      `upload ${upload.upload_id} errored: ${upload.error ?? 'no reason given'}` +
        (upload.error_code ? ` [${upload.error_code}]` : ''),
    );
  }
  return errored;
}
