/**
 * Finds, and with `remove` removes, stored files no record in Redis
 * names (`npm run storage:sweep`): left by races the services cannot
 * close by themselves (a track deleted while an update of it is being
 * applied, a run whose transcoder died and whose upload no other run
 * finished). See docs/operations.md, "Orphaned files".
 */
import {
  catalogRecordOf,
  namedStorageKeys,
  SiteUsage,
  storeRecordOf,
  tracksNumberedBy,
} from '@ingest/state';
import {
  catalogMarkOf,
  type Storage,
  type StoredObject,
} from '@ingest/storage';
import type { Redis } from 'ioredis';
import { ScriptRefusal } from './script-refusal';

/**
 * The folders of keys the services make: sources (`sources/<site>/…`)
 * and renditions (`tracks/<track>/…`). Nothing else in the store is
 * theirs to sweep: the catalog mark, an inbound producer's `inbound/`.
 */
export const SWEPT_FOLDERS = ['sources/', 'tracks/'];

/** How each refusal ends. */
const NOTHING_DONE = 'nothing was listed or removed';

export interface SweepOptions {
  storage: Storage;
  redis: Redis;
  /**
   * Files written less than this long ago (ms) are kept, named or not:
   * a run or an upload may be writing them and their record right now.
   */
  olderThanMs: number;
  /** Removes the orphans found; default: only lists them. */
  remove?: boolean;
  /** The time the ages are taken from (ms since the epoch); default now. */
  now?: number;
}

export interface SweepReport {
  /** Files no record names, written before the grace period. */
  orphans: StoredObject[];
  /** Files no record names, written within it: kept. */
  young: number;
  /** Orphans removed (with `remove`). */
  removed: number;
  /** Orphans that could not be removed, and why. */
  failed: { key: string; error: string }[];
}

/**
 * Reads which keys Redis names, then lists the store: a file stored
 * after the read is young, and kept, however the two interleave.
 * Refuses a store and a Redis of different catalogs, in which no file
 * would be named.
 */
export async function sweepOrphans(options: SweepOptions): Promise<SweepReport> {
  const { storage, redis, olderThanMs } = options;
  await sameCatalog(storage, redis);
  const named = await namedStorageKeys(redis);

  const now = options.now ?? Date.now();
  const report: SweepReport = { orphans: [], young: 0, removed: 0, failed: [] };
  let newestTrack = 0;
  for (const folder of SWEPT_FOLDERS) {
    for await (const object of storage.list(folder)) {
      newestTrack = Math.max(newestTrack, trackOf(object.key));
      if (named.has(object.key)) continue;
      if (now - object.modifiedAt.getTime() < olderThanMs) report.young += 1;
      else report.orphans.push(object);
    }
  }
  // Read after the listing: each track listed had its id by then.
  refuseRedisBehind(newestTrack, await tracksNumberedBy(redis));
  if (options.remove) await removeOrphans(options, report);
  return report;
}

/** The track id of a rendition's key (`tracks/<id>/…`); 0 for others. */
function trackOf(key: string): number {
  return Number(/^tracks\/(\d+)\//.exec(key)?.[1] ?? 0);
}

/**
 * A store holding tracks its Redis never numbered: the Redis is behind
 * the store (restored from an older copy). The files of what it lost
 * are all its catalog has of them, and no record names them.
 */
function refuseRedisBehind(newestTrack: number, numbered: number): void {
  if (newestTrack <= numbered) return;
  throw new ScriptRefusal(
    `the store holds track ${newestTrack}, but the Redis at REDIS_URL has ` +
      `numbered tracks only up to ${numbered}: it looks restored from a ` +
      'copy older than the store, and the files of the tracks and uploads ' +
      `it lost would all look orphaned (${NOTHING_DONE})`,
  );
}

/**
 * Removes each orphan's file, having first stopped counting it against
 * the quota of its site (INGEST_SITE_QUOTA; SiteUsage.remove): a
 * source's key names its site; a rendition's site was in the record that
 * is gone, so every counting site forgets the key (a site that never
 * counted it is left as it is).
 */
async function removeOrphans(
  { storage, redis }: SweepOptions,
  report: SweepReport,
): Promise<void> {
  const usage = new SiteUsage(redis);
  const sites = await usage.sites();
  for (const { key } of report.orphans) {
    try {
      const remove = sitesOf(key, sites).reduce(
        (removeFile, siteId) => () => usage.remove(siteId, key, removeFile),
        () => storage.delete(key),
      );
      await remove();
      report.removed += 1;
    } catch (err) {
      report.failed.push({ key, error: (err as Error).message });
    }
  }
}

function sitesOf(key: string, counting: number[]): number[] {
  const source = Number(/^sources\/(\d+)\//.exec(key)?.[1]);
  return source > 0 ? [source] : counting;
}

/**
 * A Redis of another catalog (or of none: a fresh one) names none of
 * the store's files: every file would look orphaned. So does one whose
 * catalog keeps its files in another store than this one, which the
 * mark names too (a second store of the catalog: one it moved away
 * from, or one a service was given by mistake).
 */
async function sameCatalog(storage: Storage, redis: Redis): Promise<void> {
  const ours = await catalogRecordOf(redis).read();
  const mark = await catalogMarkOf(storage);
  if (!ours) {
    throw new ScriptRefusal(
      'the Redis at REDIS_URL has no catalog id: it holds no catalog ' +
        '(a fresh Redis?), so every stored file would look orphaned; ' +
        `point REDIS_URL at the catalog's Redis (${NOTHING_DONE})`,
    );
  }
  if (mark?.catalog !== ours) {
    const store = mark
      ? `holds the files of another catalog (${mark.catalog})`
      : 'has no catalog mark (a service marks it at its start)';
    throw new ScriptRefusal(
      `STORAGE_URL ${store}, not of the Redis at REDIS_URL (${ours}): ` +
        'its records would name none of the files; give the sweep the ' +
        `STORAGE_URL and REDIS_URL the services use (${NOTHING_DONE})`,
    );
  }
  sameStore(mark.store, await storeRecordOf(redis).read());
}

/**
 * The store's own id (in its mark) must be the one the catalog's Redis
 * records as its store: the services record it, and mark a store from
 * before store ids, at their start.
 */
function sameStore(marked: string | undefined, recorded: string | undefined): void {
  if (marked && marked === recorded) return;
  const started = 'a service of the catalog records it at its start';
  const problem = !marked
    ? `STORAGE_URL's catalog mark names no store id (${started})`
    : !recorded
      ? `the Redis at REDIS_URL records no store for its catalog (${started})`
      : `STORAGE_URL is a store (${marked}) of the catalog of the Redis at ` +
        `REDIS_URL, but that catalog keeps its files in another store (${recorded})`;
  throw new ScriptRefusal(
    `${problem}: the catalog's records may name the files of another store; ` +
      `give the sweep the STORAGE_URL the services use (${NOTHING_DONE})`,
  );
}
