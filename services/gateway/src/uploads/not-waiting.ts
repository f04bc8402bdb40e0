import { ApiError } from '@ingest/core';

/**
 * What became of an upload or track update that no longer waits in its
 * job. SPEC's "queued upload" is one still waiting for its job's publish
 * (status `uploaded`), while status `queued` means published and waiting
 * for a transcoder; so the text says what happened rather than repeat
 * the status word, which read as "it is queued, yet it cannot change".
 */
export function pastWaiting(status: string, immediate = false): string {
  const handedOn = immediate
    ? 'went to the transcoders at once (immediate)'
    : 'was published';
  switch (status) {
    case 'queued':
      return `${handedOn} and waits for a transcoder`;
    case 'transcoding':
      return `${handedOn} and is being transcoded`;
    case 'published':
      return `${handedOn} and transcoded`;
    case 'error':
      return `${handedOn} and failed`;
    default:
      return `is ${status}`;
  }
}

/**
 * The 409 `upload_not_queued` for `what` ("upload 3"), with its status
 * in the body; `consequence` says what can no longer be done.
 */
export function notWaitingError(
  what: string,
  status: string,
  consequence: string,
  immediate = false,
): ApiError {
  return new ApiError(
    'upload_not_queued',
    `${what} ${pastWaiting(status, immediate)}; ${consequence}`,
    { status },
  );
}
