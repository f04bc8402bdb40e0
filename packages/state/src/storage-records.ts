import type { UploadStatus } from '@ingest/core';
import type { Redis } from 'ioredis';
import { keys } from './keys';

/** An upload's noted set: `<upload key>:files`. */
const FILES = ':files';

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
 * runs noted for their upload while it is not finished. Any
 * `storageKey` in a record's JSON fields counts, so a field added later
 * keeps its files named too.
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

/**
 * Statuses an upload never leaves: no run of it publishes any more, so
 * the keys noted for it are named by no record. A late run (taken back,
 * still going when the upload errored) that noted its files and died
 * before removing them leaves them there for good; a transcoder killed
 * between erroring an upload and taking its noted keys does too.
 */
const FINISHED: ReadonlySet<string> = new Set<UploadStatus>(['published', 'error']);

async function readRecords(
  redis: Redis,
  records: string[],
  named: Set<string>,
): Promise<void> {
  if (records.length === 0) return;
  const pipeline = redis.pipeline();
  /** What to make of each answer of the pipeline, in its order. */
  const reads: ((value: unknown) => void)[] = [];
  for (const key of records) {
    if (key.endsWith(FILES)) {
      // The status first: once finished it stays so, and a run that
      // publishes moves its keys into its track in one step.
      let running = false;
      pipeline.hget(key.slice(0, -FILES.length), 'status');
      reads.push((status) => {
        running = typeof status === 'string' && !FINISHED.has(status);
      });
      pipeline.smembers(key);
      reads.push((members) => {
        if (running) for (const member of members as string[]) named.add(member);
      });
    } else {
      pipeline.hgetall(key);
      reads.push((fields) => {
        for (const field of Object.values(fields as Record<string, string>)) {
          storageKeysIn(parsed(field), named);
        }
      });
    }
  }
  const answers = (await pipeline.exec()) ?? [];
  answers.forEach(([err, value], i) => {
    if (err) throw err;
    reads[i](value);
  });
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
