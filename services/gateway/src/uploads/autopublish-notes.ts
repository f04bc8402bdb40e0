import { ApiError } from '@ingest/core';
import type { Autopublisher } from '../jobs/autopublisher';

/** What an upload call stored in a job: an upload, or a track update. */
export type StoredInJob = { upload_id: number } | { update_id: number };

/**
 * Tells the autopublisher of an `autopublish=1` upload or track update
 * in `jobId`. What was sent is stored either way; a failure says so.
 */
export async function noteAutopublish(
  autopublisher: Pick<Autopublisher, 'noteUpload'> | undefined,
  jobId: number,
  stored: StoredInJob,
): Promise<void> {
  const member =
    'upload_id' in stored
      ? `upload:${stored.upload_id}`
      : `update:${stored.update_id}`;
  try {
    await autopublisher?.noteUpload(jobId, member);
  } catch {
    const what =
      'upload_id' in stored
        ? `upload ${stored.upload_id}`
        : `track update ${stored.update_id}`;
    throw new ApiError(
      'internal',
      `${what} was stored, but its job could not be scheduled for ` +
        'autopublish; publish the job yourself',
      stored,
    );
  }
}

/**
 * Tells the autopublisher of whatever joined the job: an autopublish
 * one marks the job and restarts its timer; any other may still bring
 * a job of autopublish uploads to its upload limit (SPEC §2).
 */
export async function noteJoined(
  autopublisher: Pick<Autopublisher, 'noteUpload' | 'noteGrowth'> | undefined,
  jobId: number,
  autopublish: boolean,
  stored: StoredInJob,
): Promise<void> {
  if (autopublish) await noteAutopublish(autopublisher, jobId, stored);
  else await autopublisher?.noteGrowth(jobId);
}
