import type { Command, CommandContext } from '../command';
import { EXIT } from '../exit-codes';
import { optionalId } from '../option-readers';
import { describeDelivery, describeProgress } from '../progress-view';
import { reportErrored } from './job-errors';

export const statusCommand: Command = {
  name: 'status',
  summary: "show a job's progress (q waiting, i transcoding, d done, e errored)",
  usage: `ingest status [--job ID]

  --job ID    the job (default: the site's main job)

Exits 3 when the job is complete with errored uploads.`,
  options: { job: { type: 'string' } },

  async run({ client, out, values, signal }: CommandContext) {
    const progress = await client.checkJob(optionalId(values, 'job'), { signal });
    out.line(describeProgress(progress));
    for (const d of progress.deliveries ?? []) out.line(describeDelivery(d));
    const complete = progress.state === 'complete';
    const errored = complete ? await reportErrored(client, out, progress, signal) : [];
    out.result({ ...progress, errored });
    return complete && progress.e > 0 ? EXIT.uploadsErrored : EXIT.ok;
  },
};
