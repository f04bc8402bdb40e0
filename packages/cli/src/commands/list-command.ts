import type { ListedUpload } from '@ingest/client';
import type { Command, CommandContext } from '../command';
import { EXIT } from '../exit-codes';
import { optionalId } from '../option-readers';
import { uploadFileName } from './job-errors';

export const listCommand: Command = {
  name: 'list',
  summary: "list a job's uploads and, once published, their track ids",
  usage: `ingest list [--job ID]

  --job ID    the job (default: the site's main job)`,
  options: { job: { type: 'string' } },

  async run({ client, out, values, signal }: CommandContext) {
    const listing = await client.list(optionalId(values, 'job'), { signal });
    out.line(`job ${listing.job_id} (${listing.state})`);
    out.line(row(['UPLOAD', 'TRACK', 'STATUS', 'FORMATS', 'ERROR']));
    for (const t of listing.tracks) {
      out.line(
        row([
          String(t.upload_id),
          t.track_id === null ? '-' : String(t.track_id),
          t.status,
          t.formats.join(','),
          errorCell(t),
        ]),
      );
    }
    // Last: a listing that breaks the table must not leave a JSON
    // document on stdout ahead of the error's.
    out.result(listing);
    return EXIT.ok;
  },
};

function row(cells: string[]): string {
  const widths = [8, 8, 12, 18];
  return cells
    .map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]) : cell))
    .join(' ')
    .trimEnd();
}

/** An errored upload's reason, after the name of the file it was made from. */
function errorCell(upload: ListedUpload): string {
  const name = upload.status === 'error' ? uploadFileName(upload) : undefined;
  return [name, upload.error].filter(Boolean).join(': ');
}
