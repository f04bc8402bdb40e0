import { JobTimeoutError, type IngestClient, type JobProgress } from '@ingest/client';
import type { CliOutput } from '../cli-output';
import type { OptionValues } from '../command';
import { CliUsageError } from '../exit-codes';
import { MAX_SECONDS, MAX_TIMER_MS, positiveNumber } from '../option-readers';
import { progressView } from '../progress-view';

/** The longest pause between two polls, ms, unless --interval is longer. */
const MAX_POLL_MS = 15_000;

/** How `download --wait` ended its wait. */
export interface PublishWait {
  /** The job completed: every track it will have is published. */
  complete: boolean;
  /** Past --timeout, the job's last progress, if any poll answered. */
  timedOut?: { message: string; last: JobProgress | null };
}

/**
 * `download --wait`: polls checkJob until job `jobId` is complete (open
 * or publishing, it waits: an autopublish may come), first every
 * --interval ms, then twice as long each time up to 15 s, so a long
 * publish costs few calls. Past --timeout it gives up and says so; the
 * tracks published by then are saved all the same (exit 4).
 */
export async function waitUntilPublished(
  client: IngestClient,
  out: CliOutput,
  jobId: number,
  values: OptionValues,
  signal?: AbortSignal,
): Promise<PublishWait> {
  const timeoutSecs = positiveNumber(values, 'timeout', 1800, MAX_SECONDS);
  const intervalMs = positiveNumber(values, 'interval', 1000, MAX_TIMER_MS);
  out.note(`waiting for job ${jobId} to be published and complete (--timeout ${timeoutSecs} s)`);
  const view = progressView(out);
  let last: JobProgress | undefined;
  try {
    await client.waitForJob(jobId, {
      timeoutMs: timeoutSecs * 1000,
      intervalMs,
      maxIntervalMs: Math.max(intervalMs, MAX_POLL_MS),
      signal,
      onProgress: (p) => {
        last = p;
        view.update(p);
      },
    });
    return { complete: true };
  } catch (err) {
    if (!(err instanceof JobTimeoutError)) throw err;
    const message =
      `job ${jobId} was not complete within --timeout ${timeoutSecs} s` +
      `${waitDetail(err, last)}; ` +
      'the tracks published so far are saved (exit 4)';
    out.note(message);
    return { complete: false, timedOut: { message, last: last ?? null } };
  } finally {
    view.stop();
  }
}

/** --timeout and --interval mean nothing without --wait: refused. */
export function checkNoWaitOptions(values: OptionValues): undefined {
  for (const name of ['timeout', 'interval']) {
    if (values[name] !== undefined) {
      throw new CliUsageError(`--${name} goes with --wait`);
    }
  }
  return undefined;
}

/**
 * What a wait that gave up saw last: the SDK's detail of a JobTimeoutError
 * (progress, and why the last poll failed), else the last progress.
 */
export function waitDetail(err: unknown, last: JobProgress | undefined): string {
  if (err instanceof JobTimeoutError) return err.detail;
  return last ? ` (state ${last.state}, q=${last.q} i=${last.i} d=${last.d} e=${last.e})` : '';
}
