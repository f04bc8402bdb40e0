import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * How long a run's presence lasts without renewal, for a queue whose
 * lock lasts `lockMs`: two locks. A live run renews it three times in
 * that span, so it shows as alive through a lapse of its job's lock
 * (BullMQ renews a lock every half of it) and one missed renewal or
 * more; a run whose process died shows as gone within two locks of its
 * last renewal (and is taken for gone a renewal later: `gone`), so its
 * work is errored a lock or so after BullMQ failed its job, not minutes
 * later. A run that still works after its presence lapsed (its own
 * connection away for longer) changes nothing once its
 * work was errored: its publish or patch is refused (PUBLISH_TRACK,
 * PATCH_TRACK) and it removes its own files.
 */
export function runLeaseFor(lockMs: number): number {
  return 2 * lockMs;
}

/** The lease for BullMQ's default transcode lock (60 s). */
export const RUN_LEASE_MS = runLeaseFor(60_000);

/** Redis's clock in ms, so transcoders' clocks need not agree. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * How many leases a job's runs are recorded for after the last renewal
 * of any: a lapsed run's record outlives its lease, so a check that
 * finds it lapsed (after an outage) still reads its renewal period.
 */
const KEPT_LEASES = 3;

/**
 * KEYS: runs of each job. ARGV: lease ms, kept ms, then each key's
 * member. Renews the presence of every run of one process at once. A
 * key is kept for the longest that any of its runs' transcoders asks:
 * one with a shorter lock must not drop another's live run with it.
 */
const RENEW = NOW + `
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[1]), ARGV[i + 2])
  if redis.call('PTTL', key) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return #KEYS
`;

/** KEYS: runs. Counts the runs whose presence has not lapsed. */
const ALIVE = NOW + `
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`;

/**
 * KEYS: runs. The longest renewal period (ms) the job's runs recorded
 * (a member is `<renewal ms>/<id>`), 0 when none did.
 */
const RENEWAL = `
local longest = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local ms = tonumber(string.match(member, '^(%d+)/') or '0')
  if ms > longest then longest = ms end
end
return longest
`;

/** A run's presence, renewed in the background until `leave()`. */
export interface RunHeld {
  leave(): Promise<void>;
}

/**
 * Which runs of a queue job still work: each renews its presence while
 * it runs. BullMQ's lock says only whether a run renewed in time; a job
 * failed for stalling may still have a run that goes on and finishes.
 * The runs of one process are renewed together, in one call every third
 * of the lease, however many run at once. Each run records that period
 * with its presence, and a check waits the one its run recorded:
 * transcoders of one queue may run with different locks.
 */
export class RunPresence {
  /** Member to key, of the runs present here now. */
  private readonly held = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** How often the runs here are renewed: a third of the lease. */
  private readonly renewMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = RUN_LEASE_MS,
  ) {
    this.renewMs = Math.max(1, Math.floor(leaseMs / 3));
  }

  /** Marks a run of the job present until it leaves (or dies). */
  async enter(bullJobId: string): Promise<RunHeld> {
    const key = keys.queueJobRuns(bullJobId);
    const member = `${this.renewMs}/${randomUUID()}`;
    await this.renew(new Map([[member, key]]));
    this.held.set(member, key);
    this.timer ??= this.renewEvery(this.renewMs);
    return {
      leave: async () => {
        this.held.delete(member);
        if (this.held.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
        await this.redis.zrem(key, member);
      },
    };
  }

  /** Whether a run of the job is present now. */
  async alive(bullJobId: string): Promise<boolean> {
    const count = await this.redis.eval(ALIVE, 1, keys.queueJobRuns(bullJobId));
    return Number(count) > 0;
  }

  /**
   * Whether no run of the job is left: none present now, nor once more a
   * renewal period later. A check that Redis answers after a pause or an
   * outage longer than the lease (sent before it, or resent first when
   * the connection is back) finds a live run lapsed, its renewals sent
   * meanwhile still queued behind it; asked again once its transcoder
   * had a turn to renew, such a run shows as present. The period is the
   * longest the job's runs recorded (this one's when none is recorded):
   * a run of a transcoder with a longer lock renews less often.
   */
  async gone(bullJobId: string): Promise<boolean> {
    if (await this.alive(bullJobId)) return false;
    const recorded = await this.redis.eval(RENEWAL, 1, keys.queueJobRuns(bullJobId));
    const renewMs = Number(recorded) || this.renewMs;
    await new Promise((resolve) => setTimeout(resolve, renewMs));
    return !(await this.alive(bullJobId));
  }

  private renewEvery(ms: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (this.held.size > 0) this.renew(this.held).catch(() => undefined);
    }, ms);
    timer.unref();
    return timer;
  }

  private renew(runs: Map<string, string>) {
    const members = [...runs.keys()];
    const runKeys = members.map((member) => runs.get(member) ?? '');
    return this.redis.eval(
      RENEW,
      runKeys.length,
      ...runKeys,
      this.leaseMs,
      KEPT_LEASES * this.leaseMs,
      ...members,
    );
  }
}
