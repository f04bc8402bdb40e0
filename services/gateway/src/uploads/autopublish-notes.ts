import { PartlyDoneError } from '@ingest/core';
import { isRedisTimeout } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import type { Autopublisher } from '../jobs/autopublisher';

/** What an upload call stored in a job: an upload, or a track update. */
export type StoredInJob = { upload_id: number } | { update_id: number };

/**
 * Runs `step`, a part of an upload call that comes after what was sent
 * is stored: a failure answers 500 naming what was stored and what
 * was not done (SPEC §1: a call that did part of its work says so), not
 * the bare error, which a client would take for nothing done (its
 * retry is told `duplicate_upload`). A Redis that did not answer the
 * step in time answers 503 `not_ready` instead, as any call that meets
 * one does: the service is unavailable for now, not broken, and the
 * step may still run once Redis goes on.
 */
async function afterStored(
  stored: StoredInJob,
  notDone: string,
  step: () => Promise<unknown>,
): Promise<void> {
  try {
    await step();
  } catch (err) {
    const what =
      'upload_id' in stored
        ? `upload ${stored.upload_id}`
        : `track update ${stored.update_id}`;
    const code = isRedisTimeout(err) ? 'not_ready' : 'internal';
    const refusal = new PartlyDoneError(code, `${what} was stored, but ${notDone}`, stored);
    // Logged with the answer (endpoint.ts): the client is told no more.
    refusal.cause = err;
    throw refusal;
  }
}

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
  await afterStored(
    stored,
    'its job could not be scheduled for autopublish; publish the job yourself',
    async () => autopublisher?.noteUpload(jobId, member),
  );
}

/**
 * Sets the `oncomplete` an upload call gave to the job it stored in.
 * What was sent is stored either way; a failure says so, and how to
 * give the address again.
 */
export async function noteOncomplete(
  store: Pick<StateStore, 'setOncomplete'>,
  jobId: number,
  oncomplete: string,
  stored: StoredInJob,
): Promise<void> {
  await afterStored(
    stored,
    `the oncomplete of job ${jobId} could not be set; ` +
      'give it again to publish (or with the next upload)',
    () => store.setOncomplete(jobId, oncomplete),
  );
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
