import { JobTimeoutError, type JobProgress } from '@ingest/client';
import type { Command, CommandContext } from '../command';
import { EXIT } from '../exit-codes';
import { optionalId, optionalText, positiveNumber } from '../option-readers';
import { progressView } from '../progress-view';
import { reportErrored } from './job-errors';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish a job; with --wait, follow it to completion',
  usage: `ingest publish [options]

  --job ID          the job to publish (default: the site's main job)
  --oncomplete X    email or URL told when the job completes
  --wait            poll until the job completes; a live bar on a
                    terminal, one line per change otherwise
  --timeout SECS    give up waiting after this long (default 1800); exit 4
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
    const timeoutMs = positiveNumber(values, 'timeout', 1800) * 1000;
    const intervalMs = positiveNumber(values, 'interval', 1000);
    const published = await client.publish(
      {
        jobId: optionalId(values, 'job'),
        oncomplete: optionalText(values, 'oncomplete'),
      },
      { signal },
    );
    out.line(`published job ${published.job_id}: ${published.queued} queued`);
    if (!values.wait) {
      out.result(published);
      return EXIT.ok;
    }

    const view = progressView(out);
    let progress: JobProgress;
    try {
      progress = await client.waitForJob(published.job_id, {
        timeoutMs,
        intervalMs,
        signal,
        onProgress: (p) => view.update(p),
      });
    } catch (err) {
      if (!(err instanceof JobTimeoutError)) throw err;
      view.stop();
      out.note(err.message);
      out.result({
        ...published,
        error: err.message,
        code: 'timeout',
        progress: err.last ?? null,
      });
      return EXIT.timeout;
    } finally {
      view.stop();
    }

    const errored = await reportErrored(client, out, progress);
    view.finish(progress);
    out.result({ ...published, progress, errored });
    return progress.e > 0 ? EXIT.uploadsErrored : EXIT.ok;
  },
};
