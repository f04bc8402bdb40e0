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
 * is not compared. `owned`: the formats whose files this update puts in
 * the track (a newer update may have taken some of its formats).
 */
export function otherRecording(
  track: Track,
  update: Pick<TrackUpdate, 'formats'>,
  owned: OutputFormat[],
  made: Rendition[],
): UploadFault | null {
  const formats = Object.keys(track.renditions) as OutputFormat[];
  if (formats.every((f) => update.formats.includes(f))) return null;

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
      `track's ${other.format}, which it does not replace, lasts ` +
      `${formatSeconds(other.duration)} s: one track holds one recording. ` +
      `Send the update for every format of the track ` +
      `(${formats.sort().join(', ')}) to replace the recording, or send ` +
      `the same recording for ${replaced}`,
  );
}
