import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * What of a job was sent with autopublish=1 and still waits, as
 * `upload:<id>` / `update:<id>`. The idle timer publishes a job only
 * while one is left (README, Autopublish): deleting them stops it. A
 * delete takes its member out in its drop script (DROP_WAITING), and
 * the idle publish checks the set in its own (PUBLISH_JOB).
 */
export class AutopublishMarks {
  constructor(private readonly redis: Redis) {}

  async mark(jobId: number, member: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(keys.jobAutopublish(jobId), member)
      .hset(keys.job(jobId), 'autopublishMarked', '1')
      .exec();
  }

  /**
   * Whether an autopublish upload or update of the job still waits. A
   * job whose timer an older gateway started, before uploads were
   * marked, counts as having one.
   */
  async any(jobId: number): Promise<boolean> {
    const [marked, count] = await Promise.all([
      this.redis.hexists(keys.job(jobId), 'autopublishMarked'),
      this.redis.scard(keys.jobAutopublish(jobId)),
    ]);
    return marked === 0 || count > 0;
  }
}
