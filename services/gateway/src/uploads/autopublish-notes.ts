import { PartlyDoneError } from '@ingest/core';
import { isRedisTimeout } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import type { Autopublisher } from '../jobs/autopublisher';

/** What an upload call stored in a job: an upload, or a track update. */
export type StoredInJob = { upload_id: number } | { update_id: number };

/** A step of an upload call after what was sent is stored. */
interface AfterStoredStep {
  /**
   * What the answer says was not done should it fail, or not be tried;
   * none for a step the client did not ask for (it never fails).
   */
  notDone?: string;
  run: () => Promise<unknown>;
}

/**
 * Runs `steps`, the parts of an upload call that come after what was
 * sent is stored, each whatever the one before came to (an oncomplete
 * not set leaves the job to be autopublished all the same), but for a
 * Redis that did not answer (the next step would wait as long again).
 * A failure answers 500 naming what was stored and every step not done
 * (SPEC §1: a call that did part of its work says so), not the bare
 * error, which a client would take for nothing done (its retry is told
 * `duplicate_upload`). A Redis that did not answer a step in time
 * answers 503 `not_ready` instead, as any call that meets one does: the
 * service is unavailable for now, not broken, and the step may still
 * run once Redis goes on.
 */
async function afterStored(stored: StoredInJob, steps: AfterStoredStep[]): Promise<void> {
  const notDone: string[] = [];
  let cause: unknown;
  for (const step of steps) {
    if (isRedisTimeout(cause)) {
      if (step.notDone) notDone.push(step.notDone);
      continue;
    }
    try {
      await step.run();
    } catch (err) {
      notDone.push(step.notDone ?? 'a step after it failed');
      cause ??= err;
    }
  }
  if (notDone.length === 0) return;

  const what =
    'upload_id' in stored
      ? `upload ${stored.upload_id}`
      : `track update ${stored.update_id}`;
  const refusal = new PartlyDoneError(
    isRedisTimeout(cause) ? 'not_ready' : 'internal',
    `${what} was stored, but ${notDone.join('; and ')}`,
    stored,
  );
  // Logged with the answer (endpoint.ts): the client is told no more.
  refusal.cause = cause;
  throw refusal;
}

/** The step that tells the autopublisher of whatever joined the job. */
function joinStep(
  autopublisher: Pick<Autopublisher, 'noteUpload' | 'noteGrowth'> | undefined,
  jobId: number,
  autopublish: boolean,
  stored: StoredInJob,
): AfterStoredStep {
  const member =
    'upload_id' in stored
      ? `upload:${stored.upload_id}`
      : `update:${stored.update_id}`;
  if (!autopublish) return { run: async () => autopublisher?.noteGrowth(jobId) };
  return {
    notDone: 'its job could not be scheduled for autopublish; publish the job yourself',
    run: async () => autopublisher?.noteUpload(jobId, member),
  };
}

/**
 * The step that sets the job's `oncomplete` an upload call gave. Should
 * the call also ask for autopublish, the job may publish itself before
 * the client gives the address again: the advice says so.
 */
function oncompleteStep(
  store: Pick<StateStore, 'setOncomplete'>,
  jobId: number,
  oncomplete: string,
  autopublish = false,
): AfterStoredStep {
  const advice = autopublish
    ? 'give it again with the next upload, or publish the job yourself with it ' +
      '(a job that autopublishes first completes without it)'
    : 'give it again to publish (or with the next upload)';
  return {
    notDone: `the oncomplete of job ${jobId} could not be set; ${advice}`,
    run: () => store.setOncomplete(jobId, oncomplete),
  };
}

/**
 * What follows an upload or deferred track update stored in `jobId`:
 * the `oncomplete` it gave set, then the autopublisher told of it (an
 * autopublish one marks the job and restarts its timer; any other may
 * still bring a job of autopublish uploads to its upload limit, SPEC
 * §2). What was sent is stored either way; a failure says so.
 */
export async function noteStored(
  deps: {
    store: Pick<StateStore, 'setOncomplete'>;
    autopublisher?: Pick<Autopublisher, 'noteUpload' | 'noteGrowth'>;
  },
  jobId: number,
  request: { oncomplete?: string; autopublish: boolean },
  stored: StoredInJob,
): Promise<void> {
  const steps = request.oncomplete
    ? [oncompleteStep(deps.store, jobId, request.oncomplete, request.autopublish)]
    : [];
  steps.push(joinStep(deps.autopublisher, jobId, request.autopublish, stored));
  await afterStored(stored, steps);
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
  await afterStored(stored, [oncompleteStep(store, jobId, oncomplete)]);
}
