import {
  JobTimeoutError,
  type JobProgress,
  type PublishResult,
} from '@ingest/client';
import type { Command, CommandContext } from '../command';
import { EXIT } from '../exit-codes';
import {
  MAX_SECONDS,
  MAX_TIMER_MS,
  optionalId,
  optionalText,
  positiveNumber,
} from '../option-readers';
import { progressView } from '../progress-view';
import { reportErrored } from './job-errors';
import { reportNotice } from './notice-wait';
import { waitDetail } from './download-wait';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish a job; with --wait, follow it to completion',
  usage: `ingest publish [options]

  --job ID          the job to publish (default: the site's main job)
  --oncomplete X    email or URL told when the job completes
  --wait            poll until the job completes; a live bar on a
                    terminal, one line per change otherwise; then,
                    with an oncomplete, how its notice went (up to 10 s)
  --timeout SECS    give up after this long, the publish call and the
                    wait together (default 1800); exit 4
  --interval MS     pause between polls (default 1000)

Exits 3 when the job completed with errored uploads.`,
  options: {
    job: { type: 'string' },
    oncomplete: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
  },

  async run({ client, out, values, signal }: CommandContext) {
    const timeoutSecs = positiveNumber(values, 'timeout', 1800, MAX_SECONDS);
    const intervalMs = positiveNumber(values, 'interval', 1000, MAX_TIMER_MS);
    const jobId = optionalId(values, 'job');
    // One deadline for the whole command: a publish call that hangs or
    // keeps being retried counts against it, as the wait does.
    const deadline = AbortSignal.timeout(timeoutSecs * 1000);
    const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const timedOut = (err: unknown) =>
      err instanceof JobTimeoutError || (deadline.aborted && !signal?.aborted);

    let published: PublishResult;
    try {
      published = await client.publish(
        { jobId, oncomplete: optionalText(values, 'oncomplete') },
        { signal: bounded },
      );
    } catch (err) {
      if (!timedOut(err)) throw err;
      const message =
        `publish did not answer within --timeout ${timeoutSecs} s; the job ` +
        'may be published all the same (see ingest status)';
      out.note(message);
      out.result({ job_id: jobId ?? null, error: message, code: 'timeout' });
      return EXIT.timeout;
    }
    out.line(`published job ${published.job_id}: ${published.queued} queued`);
    if (!values.wait) {
      out.result(published);
      return EXIT.ok;
    }

    const view = progressView(out);
    let last: JobProgress | undefined;
    let progress: JobProgress;
    try {
      progress = await client.waitForJob(published.job_id, {
        // The deadline ends the wait; this only keeps the SDK's default
        // (10 minutes) from ending it first.
        timeoutMs: timeoutSecs * 1000,
        intervalMs,
        signal: bounded,
        onProgress: (p) => {
          last = p;
          view.update(p);
        },
      });
    } catch (err) {
      if (!timedOut(err)) throw err;
      view.stop();
      const message =
        `job ${published.job_id} did not complete within --timeout ` +
        `${timeoutSecs} s${waitDetail(err, last)}`;
      out.note(message);
      out.result({ ...published, error: message, code: 'timeout', progress: last ?? null });
      return EXIT.timeout;
    } finally {
      view.stop();
    }

    const errored = await reportErrored(client, out, progress, signal);
    view.finish(progress);
    const notice = published.oncomplete
      ? await reportNotice(client, out, published.job_id, { signal: bounded, intervalMs })
      : undefined;
    out.result({ ...published, progress, errored, ...(notice ? { notice } : {}) });
    return progress.e > 0 ? EXIT.uploadsErrored : EXIT.ok;
  },
};
