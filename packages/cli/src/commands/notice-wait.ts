import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryAttempt, IngestClient } from '@ingest/client';
import type { CliOutput } from '../cli-output';
import { describeDelivery } from '../progress-view';

/** How long `publish --wait` looks for a completed job's notice. */
export const NOTICE_WAIT_MS = 10_000;

export interface NoticeWait {
  signal?: AbortSignal;
  intervalMs: number;
  waitMs?: number;
}

/**
 * After a job completes, waits a little for the first attempt to send
 * its notice (the notifier sends it after completion) and prints how
 * it went: a webhook its receiver refused would otherwise pass unseen
 * behind an exit 0. What is not sent by then is left to `ingest status`.
 */
export async function reportNotice(
  client: IngestClient,
  out: CliOutput,
  jobId: number,
  { signal, intervalMs, waitMs = NOTICE_WAIT_MS }: NoticeWait,
): Promise<DeliveryAttempt[]> {
  const until = Date.now() + waitMs;
  const later = `ingest status --job ${jobId}`;
  for (;;) {
    const answer = await client.checkJob(jobId, { signal }).catch((err: Error) => err);
    if (answer instanceof Error) {
      // The job is done, whatever this poll met (the deadline, Ctrl-C).
      out.note(`how the notice of job ${jobId} went is not known: ${later} shows it`);
      return [];
    }
    const { deliveries = [] } = answer;
    if (deliveries.length > 0) {
      out.line(`notice of job ${jobId}:`);
      for (const d of deliveries) out.line(describeDelivery(d));
      if (!deliveries.some((d) => d.ok)) {
        out.note(`the notifier tries the notice again; ${later} shows how it goes`);
      }
      return deliveries;
    }
    if (Date.now() >= until || signal?.aborted) break;
    await sleep(Math.min(intervalMs, waitMs), undefined, { signal }).catch(() => {});
  }
  out.note(`the notice of job ${jobId} was not sent yet; ${later} shows it once it is`);
  return [];
}
