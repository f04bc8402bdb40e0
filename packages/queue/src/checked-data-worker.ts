import { Worker, type Job, type JobJson, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Judges a job's data as stored (the JSON text a producer wrote) before
 * BullMQ parses it: an error refuses the job, undefined lets it run.
 */
export type DataCheck = (text: string) => Error | undefined;

type Processor<D, R> = (job: Job<D>, token?: string) => Promise<R>;

/** What the check turned down, by the job the worker made instead. */
const refusals = new WeakMap<Job, Error>();

/**
 * The check's refusal of a job's stored data, if it made one: the
 * processor must then throw it (or what it maps it to) without reading
 * the data, which is `null`.
 */
export function dataRefusalOf(job: Job): Error | undefined {
  return refusals.get(job);
}

/**
 * Replaces a job's data by `null` while this worker holds the job's
 * lock (a worker that lost it leaves the job alone).
 */
const REPLACE_DATA = `
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('HSET', KEYS[1], 'data', 'null')
  return 1
end
return 0`;

/**
 * A worker for a queue that producers outside this project write to.
 * BullMQ parses a job's data as it takes the job, after its script made
 * the job active: data that is not JSON threw there, before any
 * processor ran, so the job sat active a whole lock period until the
 * stalled check gave it back, then again, and every reader of the job
 * (a client's getJob, the dashboard) threw as well.
 *
 * Here `check` sees the text first. A job it refuses is made with data
 * `null`, its stored data is replaced by `null` so that any BullMQ
 * client can read the job, and the processor runs with the refusal
 * (`dataRefusalOf`) to fail it as it fails any refused job. BullMQ never
 * parses a refused text, and nothing of it is kept or logged. (Data that
 * passes is parsed twice, by the check and by BullMQ.)
 */
export class CheckedDataWorker<D, R> extends Worker<D, R> {
  constructor(
    name: string,
    processor: Processor<D, R>,
    options: WorkerOptions,
    private readonly check: DataCheck,
    private readonly redis: Redis,
  ) {
    // The processor is given before `this` exists; runs come later.
    let self: CheckedDataWorker<D, R> | undefined;
    super(name, (job, token) => self!.runChecked(job, processor, token), options);
    self = this;
  }

  protected override createJob(json: JobJson, jobId: string): Job<D, R> {
    // BullMQ reads a job with no data field as `{}`.
    const refusal = this.check(json.data || '{}');
    if (!refusal) return super.createJob(json, jobId);

    const job = super.createJob({ ...json, data: 'null' }, jobId);
    refusals.set(job, refusal);
    return job;
  }

  private async runChecked(
    job: Job<D, R>,
    processor: Processor<D, R>,
    token?: string,
  ): Promise<R> {
    if (refusals.has(job) && token && job.id) {
      const key = this.toKey(job.id);
      await this.redis.eval(REPLACE_DATA, 2, key, `${key}:lock`, token);
    }
    return processor(job, token);
  }
}
