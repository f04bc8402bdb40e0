import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  partFileOf,
  type ListedUpload,
  type OutputFormat,
} from '@ingest/client';
import type { Command, CommandContext } from '../command';
import { CliUsageError, EXIT } from '../exit-codes';
import { existingAt } from '../existing-file';
import { checkNoWaitOptions, waitUntilPublished } from './download-wait';
import { FileNames, stemOf } from '../file-names';
import { formatsOption, optionalText, requiredId } from '../option-readers';

interface Saved {
  track_id: number;
  format: OutputFormat;
  file: string;
  bytes: number;
  sha256: string;
  /** Already there with the API's sha256, so not fetched again. */
  kept?: true;
}

export const downloadCommand: Command = {
  name: 'download',
  summary: "download every rendition of a job's published tracks",
  usage: `ingest download --job ID --out DIR [--formats LIST] [--overwrite]
                [--wait [--timeout SECS] [--interval MS]]

  --job ID         the job whose tracks to download
  --out DIR        where files go (made if missing, and removed again
                   when nothing is saved)
  --formats LIST   only these formats, e.g. mp3,wav (default: all)
  --overwrite      replace a file of the same name that differs (a
                   folder, link, pipe, socket or device of that name is
                   never replaced)
  --wait           first wait until the job is published and complete
                   (polls checkJob, from --interval up to 15 s apart)
  --timeout SECS   with --wait: stop waiting after this long (default
                   1800), save what is published, exit 4
  --interval MS    with --wait: first pause between polls (default 1000)

Files are named after each track's Filename (its id when that is taken)
and checked against the sha256 the API reports. A file already there
with that sha256 is kept; one that differs is left alone and named, and
the run exits 1 (unless --overwrite). Renditions a track lacks are
listed on stderr; when nothing at all is saved, it exits 1. A job still
publishing exits 5: what is published so far is saved, more may come
(with --wait, only past --timeout: then exit 4).`,
  options: {
    job: { type: 'string' },
    out: { type: 'string' },
    formats: { type: 'string' },
    overwrite: { type: 'boolean' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
  },

  async run({ client, out, values, signal, tempFiles }: CommandContext) {
    const jobId = requiredId(values, 'job');
    const dir = optionalText(values, 'out');
    if (!dir) throw new CliUsageError('--out is required');
    const wanted = formatsOption(values);
    await checkOutFolder(dir);
    const waited = values.wait
      ? await waitUntilPublished(client, out, jobId, values, signal)
      : checkNoWaitOptions(values);

    const listing = await client.list(jobId, { signal });
    // Complete since the wait gave up: not late after all.
    const timedOut = listing.state === 'complete' ? undefined : waited?.timedOut;
    // Tracks still to come: what is there is saved, and the exit code
    // (5) tells a script to come back, not that it has everything.
    const publishing = listing.state === 'publishing';
    if (publishing && !timedOut) {
      out.note(
        `job ${jobId} is still publishing: only the tracks published so ` +
          'far are fetched (exit 5); run this again once "ingest status ' +
          `--job ${jobId}" says complete (files saved now are kept)`,
      );
    }
    // The first folder made, if any: removed again when nothing is saved.
    const made = await mkdir(dir, { recursive: true });

    const names = new FileNames();
    const saved: Saved[] = [];
    const missing: Array<{ track_id: number; format: OutputFormat }> = [];
    const mismatched: Saved[] = [];
    // Files of the user's in the way (an original named as its rendition).
    const notOverwritten: Array<{ track_id: number; format: OutputFormat; file: string }> = [];
    let interrupted = false;
    /** The file being written, to name it when the disk fails. */
    let writing: string | undefined;
    let localError: { error: string; errno: string } | undefined;
    try {
      for (const upload of listing.tracks) {
        const trackId = upload.track_id;
        if (trackId === null) continue;
        const { track } = await client.getTrack(trackId, { signal });
        const stem = stemOf(track.meta.Filename, trackId);
        for (const format of formatsToFetch(upload, wanted)) {
          const rendition = upload.renditions?.[format];
          if (!rendition) {
            missing.push({ track_id: trackId, format });
            continue;
          }
          const file = path.join(dir, names.claim(stem, trackId, format));
          writing = file;
          const there = await existingAt(file);
          if (there.kind === 'file' && there.sha256 === rendition.sha256) {
            const { bytes, sha256 } = there;
            saved.push({ track_id: trackId, format, file, bytes, sha256, kept: true });
            out.line(`kept ${file} (already there, sha256 checked)`);
            continue;
          }
          // --overwrite replaces regular files only. A folder no rename
          // can replace; a link, pipe, socket or device is there on
          // purpose, and the rename would drop it for a file.
          if (there.kind === 'not-file') {
            notOverwritten.push({ track_id: trackId, format, file });
            out.note(`${file}: ${there.what} is there; --overwrite replaces files only`);
            continue;
          }
          if (there.kind === 'file' && !values.overwrite) {
            notOverwritten.push({ track_id: trackId, format, file });
            out.note(`${file}: a different file is there; not overwritten (see --overwrite)`);
            continue;
          }
          // Listed so that a second Ctrl-C, which exits at once, removes it.
          const part = partFileOf(file);
          tempFiles.add(part);
          const got = await client
            .downloadTo(trackId, format, file, { signal })
            .finally(() => tempFiles.delete(part));
          const entry = { track_id: trackId, format, ...got };
          if (got.sha256 !== rendition.sha256) {
            await rm(file, { force: true });
            mismatched.push(entry);
            out.note(`${file}: sha256 differs from the API's; removed`);
            continue;
          }
          saved.push(entry);
          out.line(`saved ${file} (${got.bytes} bytes)`);
        }
      }
    } catch (err) {
      localError = signal?.aborted ? undefined : diskError(err, writing);
      // A full disk, say: the next files would fail as well. What was
      // saved is still told (it was lost in a bare `local_error`).
      if (localError) out.note(localError.error);
      else if (!signal?.aborted) throw err;
      else {
        // Ctrl-C: the file being written is removed; saved files stay.
        interrupted = true;
        out.note(`interrupted; ${saved.length} file(s) saved before it`);
      }
    } finally {
      // A run that saved nothing (nothing to save, only sha256 mismatches,
      // an error) leaves no folder of its own making. An interrupted one
      // keeps it: a second Ctrl-C, which exits at once, could not do this.
      if (saved.length === 0 && !interrupted) {
        await removeMadeFolders(dir, made);
      }
    }

    for (const line of describeMissing(missing)) out.note(line);
    // Nothing saved of what was asked: a wrong job or format, or a job
    // not published yet. Failing tells a script so.
    const nothing =
      !interrupted &&
      !localError &&
      !publishing &&
      !timedOut &&
      saved.length === 0 &&
      mismatched.length === 0 &&
      notOverwritten.length === 0
        ? nothingSaved(jobId, listing, wanted)
        : undefined;
    if (nothing) out.note(nothing);
    out.result({
      job_id: jobId,
      job_state: listing.state,
      out: dir,
      files: saved,
      missing,
      mismatched,
      not_overwritten: notOverwritten,
      ...(interrupted && { interrupted: true }),
      ...(nothing && { error: nothing, code: 'nothing_saved' }),
      ...(localError && { ...localError, code: 'local_error' }),
      ...(timedOut && {
        error: timedOut.message,
        code: 'timeout',
        progress: timedOut.last,
      }),
    });
    // A run that saved nothing removed the folders it made: name none.
    out.line(
      saved.length > 0 || interrupted ? savedLine(saved, dir) : 'nothing saved',
    );
    if (interrupted) return EXIT.interrupted;
    if (localError) return EXIT.usage;
    if (mismatched.length > 0) return EXIT.api;
    if (notOverwritten.length > 0) return EXIT.usage;
    if (nothing) return EXIT.usage;
    if (timedOut) return EXIT.timeout;
    return publishing ? EXIT.incomplete : EXIT.ok;
  },
};

/**
 * A write that failed on this machine (ENOSPC, EACCES, EROFS), with the
 * file it was for; undefined for any other error.
 */
function diskError(
  err: unknown,
  file: string | undefined,
): { error: string; errno: string } | undefined {
  const { code, syscall, message } = err as NodeJS.ErrnoException;
  if (typeof syscall !== 'string' || typeof code !== 'string') return undefined;
  return { error: `${file ?? 'download'}: ${message}`, errno: code };
}

/** `3 file(s) saved to dir`, telling the ones already there apart. */
function savedLine(saved: Saved[], dir: string): string {
  const kept = saved.filter((s) => s.kept).length;
  const fetched = saved.length - kept;
  if (kept === 0) return `${fetched} file(s) saved to ${dir}`;
  return `${fetched} file(s) saved, ${kept} already there, in ${dir}`;
}

/**
 * Renditions asked for that their track lacks, one line per format
 * however many tracks: the count and the first few track ids.
 */
function describeMissing(
  missing: Array<{ track_id: number; format: OutputFormat }>,
): string[] {
  const byFormat = new Map<OutputFormat, number[]>();
  for (const { track_id, format } of missing) {
    byFormat.set(format, [...(byFormat.get(format) ?? []), track_id]);
  }
  return [...byFormat].map(([format, ids]) => {
    const shown = ids.slice(0, 10).join(', ') + (ids.length > 10 ? ', …' : '');
    return `not saved: ${ids.length} track(s) have no ${format} (track ${shown})`;
  });
}

function nothingSaved(
  jobId: number,
  listing: { state: string; tracks: ListedUpload[] },
  wanted: OutputFormat[] | undefined,
): string {
  const published = listing.tracks.filter((t) => t.track_id !== null).length;
  if (published === 0) {
    return (
      `nothing saved: job ${jobId} has no published track ` +
      `(it is ${listing.state})`
    );
  }
  const formats = wanted ? ` in ${wanted.join(', ')}` : '';
  return (
    `nothing saved: none of the ${published} published track(s) of ` +
    `job ${jobId} has a rendition${formats}`
  );
}

/**
 * Removes `dir` and its parents up to `first`, the first folder
 * `mkdir -p` made, each only while empty; so never a folder that was
 * there before, nor one something else wrote into meanwhile.
 */
async function removeMadeFolders(
  dir: string,
  first: string | undefined,
): Promise<void> {
  if (first === undefined) return;
  const top = path.resolve(first);
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      await rmdir(at);
    } catch {
      return;
    }
    if (at === top || path.dirname(at) === at) return;
  }
}

/**
 * Refuses an `--out` that is, or lies under, something other than a
 * folder (a file, a pipe): `mkdir -p` would fail with a bare errno.
 * Parts missing are fine: they are made.
 */
async function checkOutFolder(dir: string): Promise<void> {
  for (let at = path.normalize(dir); ; at = path.dirname(at)) {
    const info = await stat(at).catch((err: NodeJS.ErrnoException) => {
      // ENOTDIR: a part above is no folder; found further up.
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (info?.isDirectory()) return;
    if (info) {
      const what = info.isFile() ? 'a file' : 'something other than a folder';
      const where = at === path.normalize(dir) ? '' : ` (in the way of ${dir})`;
      throw new CliUsageError(`--out ${at}: ${what} is there, not a folder${where}`);
    }
    if (path.dirname(at) === at) return;
  }
}

function formatsToFetch(
  upload: ListedUpload,
  wanted: OutputFormat[] | undefined,
): OutputFormat[] {
  if (wanted) return wanted;
  return Object.keys(upload.renditions ?? {}) as OutputFormat[];
}
