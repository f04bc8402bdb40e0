import type { ChainableCommander, Redis } from 'ioredis';

/** What one attempt of a watched write built: its MULTI, and its answer. */
export interface WatchedAttempt<T> {
  transaction: ChainableCommander;
  /** What the write answers once its MULTI is taken. */
  result: T;
}

/**
 * A read-then-write that no other client's write to `watched` slips
 * into: the keys are WATCHed, `attempt` reads and builds a MULTI, and
 * the MULTI is dropped if any watched key changed meanwhile; then
 * `attempt` reads again, up to `attempts` times in all. Answers the
 * result of the attempt whose MULTI was taken, undefined when every one
 * met a change. WATCH belongs to the connection: `redis` must be a
 * client no one else runs MULTI or WATCH on meanwhile.
 */
export async function writeUnderWatch<T>(
  redis: Redis,
  watched: string[],
  attempt: () => Promise<WatchedAttempt<T>>,
  attempts: number,
): Promise<T | undefined> {
  for (let n = 0; n < attempts; n++) {
    await redis.watch(...watched);
    let built: WatchedAttempt<T>;
    try {
      built = await attempt();
    } catch (err) {
      // Left watched, the connection's next MULTI could be dropped.
      await redis.unwatch();
      throw err;
    }
    if (await built.transaction.exec()) return built.result;
  }
  return undefined;
}
