import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { StartRefusal } from '@ingest/core';
import type { Storage } from './storage';

/**
 * The key, at the store's root, naming the catalog (the Redis) whose
 * files the store holds.
 */
export const CATALOG_MARK_KEY = 'catalog-id';

/**
 * Redis's record of the store that holds its catalog's files (the store
 * id written into that store's mark): `storeRecordOf` in @ingest/state.
 */
export interface StoreRecord {
  /** The recorded store id; undefined while none is recorded. */
  read(): Promise<string | undefined>;
  /** Records `id` where no id is recorded; answers the recorded id. */
  claim(id: string): Promise<string>;
}

/**
 * This Redis's catalog id (`catalogRecordOf` in @ingest/state): read,
 * and made only where the store would not refuse it, so that a refused
 * start leaves a Redis without one as it was.
 */
export interface CatalogRecord {
  /** The catalog id; undefined while this Redis has none. */
  read(): Promise<string | undefined>;
  /** The catalog id, made where there is none. */
  claim(): Promise<string>;
}

/** The Redis key of the store record, for the refusals' way out. */
const STORE_RECORD_KEY = "'{ingest}:store'";

export interface CatalogMarkOptions {
  /** The store as the settings name it (STORAGE_URL), for the refusal. */
  where: string;
  /** Which store this catalog's files are in, as its Redis records it. */
  stores: StoreRecord;
  /** Told when the store cannot be read or written now. */
  logger: { warn(fields: object, message: string): void };
  /**
   * How many track ids the Redis has given out. With none it is no copy
   * of the store's catalog, so the refusal does not offer to give it the
   * store's id: a fresh Redis so marked would number from 1 again.
   */
  tracksNumbered?: number;
  /** How long a store that hangs delays the start, in ms; default 5000. */
  deadlineMs?: number;
}

/**
 * A hung store would hold the start for its whole retry budget (about a
 * minute and a half on S3); the check waits this long, then goes on.
 */
const MARK_DEADLINE_MS = 5_000;

/**
 * Ties a store to the Redis that numbers its files. Track files live
 * under `tracks/<track id>/`, and track ids come from Redis: a second
 * Redis (a fresh one, the machine's own on 6379, a stack started with
 * another REDIS_URL) on the same store numbers from 1 again and renames
 * its renditions over the published tracks of the first. The mark also
 * names the store (a store id, which Redis records), so that a service
 * of the catalog given a store of its own (STORAGE_URL forgotten on one
 * service of many) refuses too: its uploads would be missing to the
 * others. A store without a mark (new, or from a version before marks)
 * takes this Redis's while Redis records no store yet; one marked for
 * another catalog, or an unmarked or other store once Redis records
 * one, refuses the start. A store that does not answer now is not
 * checked (its outage has its own handling); the next start checks it.
 */
export async function checkCatalogMark(
  storage: Storage,
  catalog: CatalogRecord,
  options: CatalogMarkOptions,
): Promise<void> {
  let other: OtherCatalog | undefined;
  try {
    other = await withinDeadline(
      markedAs(storage, catalog, options),
      options.deadlineMs ?? MARK_DEADLINE_MS,
    );
  } catch (err) {
    if (err instanceof StartRefusal) throw err;
    options.logger.warn({ err }, 'storage catalog mark not checked');
    return;
  }
  if (other === undefined) return;
  const { found, ours = 'which has no catalog id yet' } = other;
  const restored =
    options.tracksNumbered === 0
      ? ' (This Redis has numbered no track yet: it is no copy of that catalog.)'
      : ' (A Redis restored from a copy made before it was marked: ' +
        `redis-cli SET '{ingest}:catalog' ${found})`;
  throw new StartRefusal(
    `STORAGE_URL ${options.where} holds the files of another catalog ` +
      `(${found}) than the Redis at REDIS_URL (${ours}): its track ` +
      'ids would overwrite the files of that catalog\'s tracks. Point ' +
      'REDIS_URL at the Redis of that storage, or give this Redis a ' +
      'storage of its own (where STORAGE_URL is not set: an ' +
      `INGEST_DATA_DIR of its own).${restored}`,
  );
}

/** The catalog a store's mark names, and this Redis's, if it has one. */
interface OtherCatalog {
  found: string;
  ours?: string;
}

/** What a store's catalog mark names. */
export interface CatalogMark {
  /** The catalog id; '' for an empty mark, which names none. */
  catalog: string;
  /** The store id; undefined in a mark from before store ids. */
  store?: string;
}

/**
 * Another catalog's id, or undefined once this store is marked as this
 * catalog's store. A Redis without a catalog id is given one only where
 * the store has no mark: a marked store refuses it in any case. Two
 * services may find no mark at once (a stack's first start): the mark is
 * created only where none is, and read back,
 * so that of two catalogs starting together on one store the second
 * refuses. The mark is written before Redis records its store id, so a
 * service that finds no mark while Redis records a store reads the mark
 * again before it refuses; of two new stores of one catalog marked at
 * once, the one whose id Redis records first is the catalog's.
 */
async function markedAs(
  storage: Storage,
  catalog: CatalogRecord,
  options: CatalogMarkOptions,
): Promise<OtherCatalog | undefined> {
  let mark = await readMark(storage);
  let catalogId = await catalog.read();
  if (!catalogId) {
    if (mark?.catalog) return { found: mark.catalog };
    catalogId = await catalog.claim();
  }
  if (!mark?.catalog) {
    const recorded = await options.stores.read();
    if (recorded) {
      mark = await readMark(storage);
      if (!mark?.catalog) throw unmarkedRefusal(options.where, catalogId, recorded);
    } else {
      const text = `${catalogId}\n${randomUUID()}\n`;
      // An empty mark names no catalog: written over.
      if (mark) await storage.put(CATALOG_MARK_KEY, Readable.from([text]));
      else await storage.create(CATALOG_MARK_KEY, text);
      mark = await readMark(storage);
      if (!mark?.catalog) {
        throw new Error('the catalog mark is being written by another service');
      }
    }
  }
  if (mark.catalog !== catalogId) return { found: mark.catalog, ours: catalogId };
  if (!mark.store) {
    // Marked before marks named their store: this one is the catalog's.
    const store = await options.stores.claim(randomUUID());
    await storage.put(CATALOG_MARK_KEY, Readable.from([`${catalogId}\n${store}\n`]));
    return undefined;
  }
  const recorded = await options.stores.claim(mark.store);
  if (recorded !== mark.store) {
    throw otherStoreRefusal(options.where, catalogId, mark.store, recorded);
  }
  return undefined;
}

const SAME_STORE =
  'Give this service the STORAGE_URL of the catalog\'s other services ' +
  '(where STORAGE_URL is not set: their INGEST_DATA_DIR)';

function unmarkedRefusal(where: string, catalogId: string, recorded: string) {
  return new StartRefusal(
    `STORAGE_URL ${where} is a store without a catalog mark, but the ` +
      `catalog of the Redis at REDIS_URL (${catalogId}) keeps its files in ` +
      `another store (${recorded}): this service's files would be missing ` +
      `to the others. ${SAME_STORE}. If the catalog moved to this empty ` +
      'store on purpose: stop its services, redis-cli DEL ' +
      `${STORE_RECORD_KEY}, and start them on this store.`,
  );
}

function otherStoreRefusal(
  where: string,
  catalogId: string,
  store: string,
  recorded: string,
) {
  return new StartRefusal(
    `STORAGE_URL ${where} is a store (${store}) of the catalog of the ` +
      `Redis at REDIS_URL (${catalogId}), but that catalog now keeps its ` +
      `files in another store (${recorded}). ${SAME_STORE}. If this store ` +
      `is the catalog's: redis-cli SET ${STORE_RECORD_KEY} ${store}`,
  );
}

function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the store did not answer within ${ms} ms`)),
      ms,
    );
  });
  // Past the deadline, its outcome no longer matters to anyone.
  work.catch(() => {});
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The store's catalog mark, read only: undefined where the store has no
 * mark, or an empty one (which names no catalog).
 */
export async function catalogMarkOf(storage: Storage): Promise<CatalogMark | undefined> {
  const mark = await readMark(storage);
  return mark?.catalog ? mark : undefined;
}

/** The mark's lines; undefined where there is no mark. */
async function readMark(storage: Storage): Promise<CatalogMark | undefined> {
  const object = await storage.open(CATALOG_MARK_KEY);
  if (!object) return undefined;
  try {
    let text = '';
    for await (const chunk of object.stream()) text += chunk;
    const [catalog = '', store] = text.trim().split(/\s+/);
    return { catalog, store: store || undefined };
  } finally {
    await object.close();
  }
}
