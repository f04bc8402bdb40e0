import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * This Redis's catalog id, which the store is marked with
 * (`checkCatalogMark` in @ingest/storage): made once, by whichever
 * service asks first, and the same for every later ask.
 *
 * Read first, and written only when absent: a Redis that refuses
 * writes for now (its disk full: MISCONF; its memory: OOM) still
 * answers reads, and a service started meanwhile must start (and say
 * it is not ready) rather than fail on a write it does not need.
 */
export async function catalogIdOf(redis: Redis): Promise<string> {
  const found = await redis.get(keys.catalog());
  if (found) return found;
  await redis.set(keys.catalog(), randomUUID(), 'NX');
  const id = await redis.get(keys.catalog());
  if (!id) throw new Error('the catalog id vanished from Redis');
  return id;
}

/**
 * This Redis's catalog id as the catalog mark check asks for it: read,
 * and made (`catalogIdOf`) only where the store takes it.
 */
export function catalogRecordOf(redis: Redis) {
  return {
    read: async () => (await redis.get(keys.catalog())) || undefined,
    claim: () => catalogIdOf(redis),
  };
}

/**
 * How many track ids this Redis has given out. None: it is no copy of a
 * catalog whose store holds tracks (a fresh Redis, another stack's).
 */
export async function tracksNumberedBy(redis: Redis): Promise<number> {
  return Number(await redis.hget(keys.seq(), 'track')) || 0;
}

/**
 * Redis's record of the store that holds its catalog's files: the store
 * id in that store's mark (`checkCatalogMark` in @ingest/storage). Read
 * first and written only where none is, as the catalog id is.
 */
export function storeRecordOf(redis: Redis) {
  const read = async () => (await redis.get(keys.store())) ?? undefined;
  return {
    read,
    async claim(id: string): Promise<string> {
      const found = await read();
      if (found) return found;
      await redis.set(keys.store(), id, 'NX');
      const now = await read();
      if (!now) throw new Error('the store record vanished from Redis');
      return now;
    },
  };
}
