import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import {
  effectOf,
  nextStoredAt,
  renditionBytes,
  sameMeta,
  writerOf,
  type Meta,
  type OutputFormat,
  type Rendition,
  type Track,
  type TrackUpdate,
  type UpdateEffect,
} from '@ingest/core';
import type { TrackRead, UpdateStore } from '@ingest/state';
import { UploadFault, type MadeRendition } from './rendition-maker';
import {
  quotaBudget,
  quotaFull,
  releaseBudget,
  type QuotaBudget,
} from './quota-budget';
import { makeRenditions, type ProcessorDeps } from './transcode-processor';
import { otherRecording } from './update-recording';

export interface ApplyDeps extends ProcessorDeps {
  updates: UpdateStore;
}

/** What applying an update came to. */
export interface Applied {
  track: Track;
  /** Formats whose new file went: a newer update had replaced them. */
  superseded: OutputFormat[];
}

/** How often the track may change under an update before it gives up. */
const ATTEMPTS = 20;

/** A rendition's file and the meta its tags were written from. */
interface Tagged {
  rendition: Rendition;
  tags: Meta;
}

/** One try at putting the update into the track as `read` found it. */
interface Step {
  update: TrackUpdate;
  read: TrackRead;
  effect: UpdateEffect;
  /** The update's own renditions, stored, by format. */
  own: Map<OutputFormat, Tagged>;
  outDir: string;
  /** Storage keys this run wrote, to remove those left unused. */
  written: Set<string>;
  /** The run's INGEST_SITE_QUOTA hold, given back by the patch. */
  budget?: QuotaBudget;
}

const gone = () => new UploadFault('track_missing', 'the track was deleted');

/**
 * Applies one update in update order (see update-order.ts in @ingest/core):
 * makes its renditions from its source, then puts into the track those of
 * the formats no newer update has replaced, merges its meta, and re-tags
 * every rendition whose tags are not the merged meta, so the track's meta
 * and its files' tags agree. Every file goes to a key of its own; the
 * record changes in one compare-and-set once all are in place (a track
 * changed meanwhile is read again and the step redone), and files no
 * longer referenced are removed after it. 'finished' when the update was
 * published or errored meanwhile (its runs stalled out while this one
 * went on): the track is left as it is and the run's files removed.
 */
export async function applyUpdate(
  deps: ApplyDeps,
  update: TrackUpdate,
): Promise<Applied | 'finished'> {
  const start = await deps.updates.readTrack(update.trackId);
  if (!start || start.track.siteId !== update.siteId) throw gone();
  const effect = effectOf(start.track, update);
  // Applied already, by a run that died before marking it published:
  // its files are the ones served; nothing is made again.
  if (changesNothing(start.track, update, effect)) {
    return { track: start.track, superseded: effect.superseded };
  }
  const taggedWith = effect.meta;

  // An mp3 made from a source without art keeps the track's picture.
  const currentMp3 = update.formats.includes('mp3')
    ? start.track.renditions.mp3?.storageKey
    : undefined;
  // Held until the patch has counted the files (or the run failed). The
  // renditions the update replaces count as freed: the patch frees them
  // in the step that counts its own, and checks the quota then.
  const replaced = renditionBytes(start.track, effect.owned);
  const budget = quotaBudget(deps, update.siteId, replaced);
  try {
    const { made, outDir } = await makeRenditions(
      deps,
      {
        id: update.id,
        siteId: update.siteId,
        sources: update.sources,
        formats: update.formats,
        meta: taggedWith,
      },
      currentMp3,
      budget,
    );
    return await storeAndCommit(deps, { update, outDir, budget }, made, taggedWith);
  } finally {
    await releaseBudget(deps, budget);
  }
}

async function storeAndCommit(
  deps: ApplyDeps,
  run: Pick<Step, 'update' | 'outDir' | 'budget'>,
  made: MadeRendition[],
  taggedWith: Meta,
): Promise<Applied | 'finished'> {
  const { update, outDir } = run;
  const written = new Set<string>();
  try {
    const own = await storeOwn(deps, update, made, taggedWith, written);
    const applied = await commit(deps, { ...run, own, written });
    // Keys of this run's own that no record took: left, they would stay
    // stored with nothing naming them until a sweep.
    if (applied === 'finished') await removeUnused(deps, written, undefined);
    return applied;
  } catch (err) {
    const now = await deps.updates.readTrack(update.trackId).catch(() => null);
    // Unsure whether the record took them: leave them be.
    if (now !== null) await removeUnused(deps, written, now?.track);
    throw err;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function commit(
  deps: ApplyDeps,
  given: Omit<Step, 'read' | 'effect'>,
): Promise<Applied | 'finished'> {
  const { update, written, budget } = given;
  const quota = budget && {
    runId: budget.runId,
    quotaBytes: budget.quotaBytes,
    // Checked at the patch only when the hold took some of it.
    creditBytes: budget.creditTaken,
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await deps.updates.readTrack(update.trackId);
    if (!read) throw gone();
    const effect = effectOf(read.track, update);
    const own = [...given.own.values()].map((t) => t.rendition);
    const mismatch = otherRecording(read.track, update, effect.owned, own);
    if (mismatch) throw mismatch;

    let renditions: Track['renditions'];
    try {
      renditions = await tagAll(deps, { ...given, read, effect });
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      // A file it re-tagged was replaced meanwhile: start again.
      if (!(await deps.updates.unchangedSince(read))) continue;
      throw err;
    }

    const next = {
      renditions: stamped(renditions, read.track),
      meta: effect.meta,
      metaVersions: effect.metaVersions,
    };
    const result = await deps.updates.patchTrack(read, next, quota, update.id);
    if (result === 'finished') return result;
    if (result === 'missing') throw gone();
    if (result === 'quota') throw quotaFull(budget?.quotaBytes ?? 0);
    if (result === 'changed') continue;

    const track = { ...read.track, ...next };
    // A download that opened an old file keeps reading it to its end.
    const keys = [...keysOf(read.track), ...written];
    await removeUnused(deps, keys, track);
    return { track, superseded: effect.superseded };
  }
  throw new Error(`track ${update.trackId} kept changing; update abandoned`);
}

/** What erroring an update whose runs all died came to (errorUnlessApplied). */
export type UnappliedError =
  | { applied: true; superseded: OutputFormat[] }
  | { applied: false; moved: boolean; jobState: string };

/**
 * Errors an update with `fields` unless the track holds it already (a
 * run that died after its patch, before marking it published): then
 * `applied`, with the formats its newer ones took. The error is taken
 * only while the track is as looked at (UpdateStore.errorUnpatched): a
 * run still going patches either before it, and the update is found
 * applied on a second look, or after it, and is refused.
 */
export async function errorUnlessApplied(
  deps: Pick<ApplyDeps, 'updates'>,
  update: TrackUpdate,
  fields: Record<string, string>,
): Promise<UnappliedError> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await deps.updates.readTrack(update.trackId);
    if (read && read.track.siteId === update.siteId) {
      const effect = effectOf(read.track, update);
      if (changesNothing(read.track, update, effect)) {
        return { applied: true, superseded: effect.superseded };
      }
    }
    const moved = await deps.updates.errorUnpatched(update, read, fields);
    if (moved !== 'changed') return { applied: false, ...moved };
  }
  throw new Error(`track ${update.trackId} kept changing; update not errored`);
}

/**
 * Whether applying the update to `track` would change nothing: each
 * format it owns holds its file already and its meta is merged in (it
 * was applied), or newer updates took all it brings.
 */
function changesNothing(
  track: Track,
  update: TrackUpdate,
  effect: UpdateEffect,
): boolean {
  const versions = track.metaVersions ?? {};
  return (
    effect.owned.every((f) => writerOf(track.renditions[f]) === update.id) &&
    sameMeta(effect.meta, track.meta) &&
    Object.entries(effect.metaVersions).every(([f, v]) => versions[f] === v)
  );
}

/**
 * Moves the update's made files into storage, under keys of this run's
 * own: a run taken back while the first still ran (a stall) must not
 * rename over, or remove on its failure, the files the other put in the
 * track, whose record names their bytes (sha256, the download's ETag).
 */
async function storeOwn(
  deps: ApplyDeps,
  update: TrackUpdate,
  made: MadeRendition[],
  tags: Meta,
  written: Set<string>,
): Promise<Map<OutputFormat, Tagged>> {
  const own = new Map<OutputFormat, Tagged>();
  const run = randomUUID().slice(0, 8);
  for (const { path: file, ...facts } of made) {
    const { format } = facts;
    const storageKey =
      `tracks/${update.trackId}/${format}.u${update.id}.${run}.${format}`;
    written.add(storageKey);
    await deps.storage.putFile(storageKey, file);
    own.set(format, {
      rendition: { ...facts, storageKey, updateId: update.id },
      tags,
    });
  }
  return own;
}

/**
 * The track's renditions after the step: the update's own for the
 * formats it owns, the others as they are (their tags are the track's
 * meta), each re-tagged when its tags are not the merged meta.
 */
async function tagAll(
  deps: ApplyDeps,
  step: Step,
): Promise<Track['renditions']> {
  const { read, effect, own } = step;
  const files: Tagged[] = [];
  for (const rendition of Object.values(read.track.renditions)) {
    if (effect.owned.includes(rendition.format)) continue;
    files.push({ rendition, tags: read.track.meta });
  }
  for (const format of effect.owned) {
    const mine = own.get(format);
    if (!mine) throw new Error(`the ${format} rendition was not made`);
    files.push(mine);
  }

  const renditions: Track['renditions'] = {};
  for (const { rendition, tags } of files) {
    renditions[rendition.format] = sameMeta(tags, effect.meta)
      ? rendition
      : await retag(deps, step, rendition, effect.meta);
  }
  return renditions;
}

/** A copy of the rendition's file tagged with `meta`, in storage. */
async function retag(
  deps: ApplyDeps,
  step: Step,
  rendition: Rendition,
  meta: Meta,
): Promise<Rendition> {
  const { format, storageKey: from, updateId } = rendition;
  if ((await deps.storage.size(from)) === undefined) {
    throw new Error(`rendition file ${from} is missing`);
  }
  const copy = await deps.storage.localCopy(from);
  try {
    const { path: file, ...facts } = await deps.maker.retag({
      source: copy.path,
      format,
      meta,
      outDir: step.outDir,
      signal: deps.signal,
    });
    // Another name each time: the track may still point at an earlier.
    const tag = randomUUID().slice(0, 8);
    const { update } = step;
    const storageKey =
      `tracks/${update.trackId}/${format}.u${update.id}-${tag}.${format}`;
    step.written.add(storageKey);
    await deps.storage.putFile(storageKey, file);
    return { ...facts, storageKey, ...(updateId ? { updateId } : {}) };
  } finally {
    await copy.release();
  }
}

/**
 * Each new file (a replaced or re-tagged rendition) is dated a second or
 * more after the version it replaces, so a download's Last-Modified names
 * one version; a rendition kept as it was keeps its date.
 */
function stamped(
  renditions: Track['renditions'],
  current: Track,
): Track['renditions'] {
  const now = new Date();
  const out: Track['renditions'] = {};
  for (const r of Object.values(renditions)) {
    const previous = current.renditions[r.format];
    const same =
      previous?.storageKey === r.storageKey && previous.sha256 === r.sha256;
    if (same) {
      const { storedAt } = previous;
      out[r.format] = storedAt ? { ...r, storedAt } : r;
    } else {
      out[r.format] = { ...r, storedAt: nextStoredAt(previous?.storedAt, now) };
    }
  }
  return out;
}

function keysOf(track: Track): string[] {
  return Object.values(track.renditions).map((r) => r.storageKey);
}

/**
 * Removes the files of `keys` that `track` (if any) does not use; the
 * patch that dropped them from the track no longer counted them.
 */
async function removeUnused(
  deps: ApplyDeps,
  keys: Iterable<string>,
  track: Track | undefined,
): Promise<void> {
  const used = new Set(track ? keysOf(track) : []);
  for (const key of new Set(keys)) {
    if (used.has(key)) continue;
    try {
      await deps.storage.delete(key);
    } catch (err) {
      deps.logger.warn({ err, storageKey: key }, 'old rendition not removed');
    }
  }
}
