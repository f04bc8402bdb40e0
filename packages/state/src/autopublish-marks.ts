import type { Redis } from 'ioredis';
import { keys } from './keys';
import { MARK_WAITING } from './scripts';

interface Scripts {
  markWaiting(...args: string[]): Promise<number>;
}

/**
 * What of a job was sent with autopublish=1 and still waits, as
 * `upload:<id>` / `update:<id>`. The idle timer publishes a job only
 * while one is left (README, Autopublish): deleting them stops it. A
 * delete takes its member out in its drop script (DROP_WAITING), a mark
 * that comes after such a drop adds none (MARK_WAITING), and the idle
 * publish checks the set in its own step (PUBLISH_JOB).
 */
export class AutopublishMarks {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('markWaiting', { numberOfKeys: 3, lua: MARK_WAITING });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Marks `member` of the job if it still waits (MARK_WAITING); says
   * whether it did. One deleted before its mark is not marked.
   */
  async mark(jobId: number, member: string): Promise<boolean> {
    const [kind, id] = member.split(':');
    const item = kind === 'update' ? keys.update(Number(id)) : keys.upload(Number(id));
    const added = await this.redis.markWaiting(
      keys.jobAutopublish(jobId),
      keys.job(jobId),
      item,
      member,
    );
    return added === 1;
  }

  /**
   * Whether an upload or update sent with autopublish=1 still waits in
   * the job, as marked: unlike `any`, a job never marked has none.
   */
  async marked(jobId: number): Promise<boolean> {
    return (await this.redis.scard(keys.jobAutopublish(jobId))) > 0;
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
