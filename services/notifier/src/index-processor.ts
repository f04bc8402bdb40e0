import type { TypedJob } from '@ingest/queue';
import type { SearchIndex, StateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';

export interface IndexProcessorDeps {
  store: StateStore;
  search: SearchIndex;
  logger: Logger;
}

export type IndexOutcome =
  | { outcome: 'indexed' | 'removed' }
  | { outcome: 'skipped'; reason: 'missing' | 'absent' };

/**
 * Keeps the search index in step with published tracks: `add` indexes
 * the track's current metadata, `remove` takes it out. Both are safe to
 * run twice; an add for a track deleted meanwhile indexes nothing.
 */
export function createIndexProcessor(deps: IndexProcessorDeps) {
  return async (job: TypedJob<'index'>): Promise<IndexOutcome> => {
    const { trackId, op } = job.data;
    const fields = {
      queue: 'index',
      bullJobId: job.id,
      trackId,
      op,
      attempt: job.attemptsMade + 1,
    };

    let result: IndexOutcome;
    if (op === 'remove') {
      const removed = await deps.search.remove(trackId);
      result = removed
        ? { outcome: 'removed' }
        : { outcome: 'skipped', reason: 'absent' };
    } else {
      const [track] = await deps.store.tracksOf([trackId]);
      const added = track ? await deps.search.add(track) : false;
      result = added
        ? { outcome: 'indexed' }
        : { outcome: 'skipped', reason: 'missing' };
    }

    deps.logger.info({ ...fields, ...result }, 'index job done');
    return result;
  };
}
