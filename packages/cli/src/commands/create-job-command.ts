import type { Command, CommandContext } from '../command';
import { EXIT } from '../exit-codes';
import { optionalText } from '../option-readers';

export const createJobCommand: Command = {
  name: 'create-job',
  summary: "make a job separate from the site's main job",
  usage: `ingest create-job [--name NAME] [--email ADDRESS]

  --name NAME        a label for the job
  --email ADDRESS    told when the job completes (default: the site's
                     contact address)`,
  options: { name: { type: 'string' }, email: { type: 'string' } },

  async run({ client, out, values, signal }: CommandContext) {
    const created = await client.createJob(
      { name: optionalText(values, 'name'), email: optionalText(values, 'email') },
      { signal },
    );
    out.result(created);
    out.line(`created job ${created.job_id}`);
    return EXIT.ok;
  },
};
