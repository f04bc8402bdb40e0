import type { OutputFormat, Rendition, Track, TrackUpdate } from '@ingest/core';
import { formatSeconds, withinTolerance } from '@ingest/media';
import { UploadFault } from './rendition-maker';

/** Formats whose renditions keep their samples; their lengths are exact. */
const LOSSLESS: readonly OutputFormat[] = ['wav', 'aiff', 'flac'];

const exactFirst = (a: Rendition, b: Rendition) =>
  Number(LOSSLESS.includes(b.format)) - Number(LOSSLESS.includes(a.format));

/**
 * Why an update that replaces only some of a track's formats may not go
 * into it, or null when it may: its renditions must decode to the length
 * of those it leaves in place (within SPEC §3's 1% or 50 ms, as the
 * sources of one upload must), or the track would hold two recordings.
 * An update of every format of the track replaces the recording, so it
 * is not compared, unless a newer update took some of them (`owned`: the
 * formats whose files this update puts in the track).
 */
export function otherRecording(
  track: Track,
  update: Pick<TrackUpdate, 'formats'>,
  owned: OutputFormat[],
  made: Rendition[],
): UploadFault | null {
  // What it owns, not what it names: an older update of every format
  // applied after a newer one of some leaves the newer's files in place.
  const formats = Object.keys(track.renditions) as OutputFormat[];
  if (formats.every((f) => owned.includes(f))) return null;

  const own = made.filter((r) => owned.includes(r.format)).sort(exactFirst);
  const kept = Object.values(track.renditions)
    .filter((r) => !owned.includes(r.format))
    .sort(exactFirst);
  const [mine] = own;
  if (!mine) return null;
  const other = kept.find((k) => !withinTolerance(mine.duration, k.duration));
  if (!other) return null;

  const replaced = [...update.formats].sort().join(', ');
  return new UploadFault(
    'verification_failed',
    `the update's audio lasts ${formatSeconds(mine.duration)} s and the ` +
      `track's ${other.format}, which ${replacedBy(update, other.format)}, lasts ` +
      `${formatSeconds(other.duration)} s: one track holds one recording. ` +
      `Send the update for every format of the track ` +
      `(${formats.sort().join(', ')}) to replace the recording, or send ` +
      `the same recording for ${replaced}`,
  );
}

/** Why the track keeps a format's file: not named, or taken by a newer update. */
function replacedBy(update: Pick<TrackUpdate, 'formats'>, format: OutputFormat): string {
  return update.formats.includes(format)
    ? 'a newer update replaced'
    : 'it does not replace';
}
