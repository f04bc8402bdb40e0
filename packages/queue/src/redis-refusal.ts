/**
 * True when Redis's answer in `err` matches `reply`: `err` itself, an
 * error it wraps (`cause`), or, for a MULTI that Redis discarded
 * (`EXECABORT`), a command refused as it was queued (ioredis keeps
 * those as `previousErrors`). A write refused inside a transaction
 * reaches the caller only that way.
 */
export function isRedisRefusal(err: unknown, reply: RegExp): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (reply.test(e.message)) return true;
    const queued = (e as { previousErrors?: unknown[] }).previousErrors ?? [];
    if (queued.some((q) => q instanceof Error && reply.test(q.message))) {
      return true;
    }
  }
  return false;
}
