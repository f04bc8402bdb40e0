import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * The records that name storage keys, in the order they are read: the
 * uploads (their sources, and the keys their runs noted as stored),
 * then updates, then tracks. A run's publish moves its keys from its
 * upload's noted set into its track in one step: read in this order, a
 * key is seen in one or the other, whichever side of the step the
 * reads fall.
 */
const KINDS = [keys.upload(0), keys.update(0), keys.track(0)].map((zero) => {
  const base = zero.replace(/0$/, '');
  return {
    match: `${base}*`,
    /** `<base><id>`, or an upload's noted set `<base><id>:files`. */
    isRecord: (key: string) =>
      key.startsWith(base) && /^\d+(:files)?$/.test(key.slice(base.length)),
  };
});

/** Keys one SCAN call asks for. */
const SCAN_COUNT = 1000;

/**
 * Every storage key a record in Redis names: the sources of uploads and
 * track updates, the renditions of tracks, and the files in-progress
 * runs noted for their upload. Any `storageKey` in a record's JSON
 * fields counts, so a field added later keeps its files named too.
 */
export async function namedStorageKeys(redis: Redis): Promise<Set<string>> {
  const named = new Set<string>();
  for (const kind of KINDS) {
    const stream = redis.scanStream({ match: kind.match, count: SCAN_COUNT });
    for await (const found of stream as AsyncIterable<string[]>) {
      const records = found.filter(kind.isRecord);
      await readRecords(redis, records, named);
    }
  }
  return named;
}

async function readRecords(
  redis: Redis,
  records: string[],
  named: Set<string>,
): Promise<void> {
  if (records.length === 0) return;
  const pipeline = redis.pipeline();
  for (const key of records) {
    if (key.endsWith(':files')) pipeline.smembers(key);
    else pipeline.hgetall(key);
  }
  for (const [err, value] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    if (Array.isArray(value)) {
      for (const member of value) named.add(String(member));
    } else {
      for (const field of Object.values(value as Record<string, string>)) {
        storageKeysIn(parsed(field), named);
      }
    }
  }
}

/** A field's JSON value; undefined for plain text. */
function parsed(field: string): unknown {
  if (!/^\s*[[{]/.test(field)) return undefined;
  try {
    return JSON.parse(field);
  } catch {
    return undefined;
  }
}

function storageKeysIn(value: unknown, named: Set<string>): void {
  if (!value || typeof value !== 'object') return;
  for (const [name, inner] of Object.entries(value)) {
    if (name === 'storageKey' && typeof inner === 'string') named.add(inner);
    else storageKeysIn(inner, named);
  }
}
