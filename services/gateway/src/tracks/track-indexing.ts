import { jobIds, openQueue, type TypedQueue } from '@ingest/queue';
import { SearchIndex, TrackDeleter } from '@ingest/state';
import type { Redis } from 'ioredis';

/**
 * What the gateway needs of search: reading the index, deleting tracks
 * (which takes them out of it at once), and asking the indexer (in the
 * notifier) to remove an entry whose track is gone. Adding to the index
 * is the indexer's alone.
 */
export class TrackIndexing {
  private closing?: Promise<void>;

  constructor(
    readonly index: SearchIndex,
    readonly deleter: TrackDeleter,
    private readonly queue: TypedQueue<'index'>,
  ) {}

  /** Over `redis`; `queue` is the caller's index queue if it has one. */
  static open(
    redis: Redis,
    queue: TypedQueue<'index'> = openQueue('index', redis),
  ): TrackIndexing {
    return new TrackIndexing(
      new SearchIndex(redis),
      new TrackDeleter(redis),
      queue,
    );
  }

  /** Queues the track's removal from the index; repeats are no-ops. */
  async requestRemoval(trackId: number): Promise<void> {
    await this.queue.add(
      'index',
      { trackId, op: 'remove' },
      { jobId: jobIds.index(trackId, 'remove') },
    );
  }

  close(): Promise<void> {
    this.closing ??= this.queue.close().catch(() => {});
    return this.closing;
  }
}
