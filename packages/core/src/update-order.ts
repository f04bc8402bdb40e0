import type { Meta, Rendition, Track } from './domain';
import type { OutputFormat } from './formats';
import { mergeMeta, type TrackUpdate } from './track-update';

/**
 * Updates of one track take effect in the order they were accepted
 * (update ids grow), whatever order their transcodes finish in: each
 * format's file is the newest covering update's, and each meta field
 * holds what the newest update that named it gave. An older update that
 * finishes late so changes only what no newer one has changed. The
 * transcoder applies these rules with a compare-and-set of the track.
 */

/** What applying an update to the track as it is now comes to. */
export interface UpdateEffect {
  /** Formats that take this update's files: no newer update has one. */
  owned: OutputFormat[];
  /** Formats a newer update replaced already: this one's files go. */
  superseded: OutputFormat[];
  meta: Meta;
  metaVersions: Record<string, number>;
}

/** The update that made the rendition's audio; 0: the upload itself. */
export function writerOf(rendition: Rendition | undefined): number {
  return rendition?.updateId ?? 0;
}

/**
 * The effect of `update` on `track`. Running it again gives the same
 * result, so a re-run of a half-applied update is harmless.
 */
export function effectOf(
  track: Pick<Track, 'renditions' | 'meta' | 'metaVersions'>,
  update: Pick<TrackUpdate, 'id' | 'formats' | 'meta'>,
): UpdateEffect {
  const owned: OutputFormat[] = [];
  const superseded: OutputFormat[] = [];
  for (const format of update.formats) {
    const newer = writerOf(track.renditions[format]) > update.id;
    (newer ? superseded : owned).push(format);
  }

  const metaVersions = { ...track.metaVersions };
  const given: Meta = {};
  for (const [field, value] of Object.entries(update.meta ?? {})) {
    // A field a newer update set or cleared keeps that update's value.
    if ((metaVersions[field] ?? 0) > update.id) continue;
    given[field] = value;
    metaVersions[field] = update.id;
  }
  return {
    owned,
    superseded,
    meta: mergeMeta(track.meta, given),
    metaVersions,
  };
}

/** Whether two metas hold the same fields and values (the same tags). */
export function sameMeta(a: Meta, b: Meta): boolean {
  const fields = Object.keys(a);
  return (
    fields.length === Object.keys(b).length &&
    fields.every((field) => Object.hasOwn(b, field) && b[field] === a[field])
  );
}
