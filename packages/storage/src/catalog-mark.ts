import { Readable } from 'node:stream';
import { StartRefusal } from '@ingest/core';
import type { Storage } from './storage';

/**
 * The key, at the store's root, naming the catalog (the Redis) whose
 * files the store holds.
 */
export const CATALOG_MARK_KEY = 'catalog-id';

export interface CatalogMarkOptions {
  /** The store as the settings name it (STORAGE_URL), for the refusal. */
  where: string;
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
 * its renditions over the published tracks of the first. A store
 * without a mark (new, or from a version before marks) takes this
 * Redis's; one marked for another catalog refuses the start. A store
 * that does not answer now is not checked (its outage has its own
 * handling); the next start checks it.
 */
export async function checkCatalogMark(
  storage: Storage,
  catalogId: string,
  options: CatalogMarkOptions,
): Promise<void> {
  let found: string | undefined;
  try {
    found = await withinDeadline(
      markedAs(storage, catalogId),
      options.deadlineMs ?? MARK_DEADLINE_MS,
    );
  } catch (err) {
    options.logger.warn({ err }, 'storage catalog mark not checked');
    return;
  }
  if (found === undefined) return;
  const restored =
    options.tracksNumbered === 0
      ? ' (This Redis has numbered no track yet: it is no copy of that catalog.)'
      : ' (A Redis restored from a copy made before it was marked: ' +
        `redis-cli SET '{ingest}:catalog' ${found})`;
  throw new StartRefusal(
    `STORAGE_URL ${options.where} holds the files of another catalog ` +
      `(${found}) than the Redis at REDIS_URL (${catalogId}): its track ` +
      'ids would overwrite the files of that catalog\'s tracks. Point ' +
      'REDIS_URL at the Redis of that storage, or give this Redis a ' +
      'storage of its own (where STORAGE_URL is not set: an ' +
      `INGEST_DATA_DIR of its own).${restored}`,
  );
}

/**
 * Another catalog's mark, or undefined once this one's is there. Two
 * services may find none at once (a stack's first start): the mark is
 * created only where none is, and read back, so that of two catalogs
 * starting together on one store the second refuses.
 */
async function markedAs(
  storage: Storage,
  catalogId: string,
): Promise<string | undefined> {
  const found = await readMark(storage);
  if (found) return found === catalogId ? undefined : found;
  const text = `${catalogId}\n`;
  // An empty mark names no catalog: written over.
  if (found === '') await storage.put(CATALOG_MARK_KEY, Readable.from([text]));
  else await storage.create(CATALOG_MARK_KEY, text);
  const now = await readMark(storage);
  if (!now) throw new Error('the catalog mark is being written by another service');
  return now === catalogId ? undefined : now;
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

/** The mark's text, trimmed; undefined where there is no mark. */
async function readMark(storage: Storage): Promise<string | undefined> {
  const object = await storage.open(CATALOG_MARK_KEY);
  if (!object) return undefined;
  try {
    let text = '';
    for await (const chunk of object.stream()) text += chunk;
    return text.trim();
  } finally {
    await object.close();
  }
}
