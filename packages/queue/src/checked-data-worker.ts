import { Worker, type Job, type JobJson, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Judges a job's data as stored (the JSON text a producer wrote) before
 * BullMQ parses it: an error refuses the job, undefined lets it run.
 */
export type DataCheck = (text: string) => Error | undefined;

type Processor<D, R> = (job: Job<D>, token?: string) => Promise<R>;

/** What the checks turned down, by the job the worker made instead. */
const refusals = new WeakMap<Job, Refusal>();

interface Refusal {
  error: Error;
  /** Stored fields to rewrite, so that any BullMQ client reads the job. */
  fields: Record<string, string>;
}

/** The Lua commands whose answer holds the next job's hash as stored. */
const HAND_OVERS = new Set(['moveToActive', 'moveToFinished']);

/** The part of BullMQ's backend every Lua command goes through. */
interface Backend {
  execCommand(client: unknown, command: string, args: unknown[]): Promise<unknown>;
}

/** Options BullMQ can read: none, or the text of a JSON object. */
function readableOpts(text: unknown): boolean {
  if (text === undefined || text === '') return true;
  try {
    const opts: unknown = JSON.parse(String(text));
    return typeof opts === 'object' && opts !== null && !Array.isArray(opts);
  } catch {
    return false;
  }
}

/**
 * The check's refusal of a job's stored data, if it made one: the
 * processor must then throw it (or what it maps it to) without reading
 * the data, which is `null`.
 */
export function dataRefusalOf(job: Job): Error | undefined {
  return refusals.get(job)?.error;
}

/**
 * Rewrites fields of a job (ARGV: token, field, value, …) while this
 * worker holds the job's lock (a worker that lost it leaves the job).
 */
const REPLACE_FIELDS = `
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
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
 *
 * A job's options are parsed earlier still, as the answer of the script
 * that made the job active is read, and no hook of BullMQ's comes
 * before that: options that are no JSON object threw there the same
 * way. So that answer is looked at as it arrives (HAND_OVERS): such
 * options are handed on as `{}`, stored as `{}` once the lock is held,
 * and the job runs refused with `optsRefusal`.
 */
export class CheckedDataWorker<D, R> extends Worker<D, R> {
  constructor(
    name: string,
    processor: Processor<D, R>,
    options: WorkerOptions,
    private readonly check: DataCheck,
    private readonly redis: Redis,
    private readonly optsRefusal = new Error('job options are not a JSON object'),
  ) {
    // The processor is given before `this` exists; runs come later.
    let self: CheckedDataWorker<D, R> | undefined;
    super(name, (job, token) => self!.runChecked(job, processor, token), options);
    self = this;
    this.screenHandOvers();
  }

  /** Ids of jobs handed over with unreadable options, until made. */
  private readonly unreadableOpts = new Set<string>();

  private screenHandOvers(): void {
    const backend = (this as unknown as { backend?: Partial<Backend> }).backend;
    const exec = backend?.execCommand;
    if (!backend || typeof exec !== 'function') {
      // A BullMQ of another shape: fail where it is installed, not later.
      throw new Error('CheckedDataWorker: BullMQ has no backend.execCommand');
    }
    backend.execCommand = async (client, command, args) => {
      const answer = await exec.call(backend, client, command, args);
      if (HAND_OVERS.has(command)) this.screenOpts(answer);
      return answer;
    };
  }

  /** Options of a job handed over that BullMQ could not read: `{}`. */
  private screenOpts(answer: unknown): void {
    if (!Array.isArray(answer) || !Array.isArray(answer[0])) return;
    const [hash, jobId] = answer as [unknown[], unknown];
    for (let i = 0; i + 1 < hash.length; i += 2) {
      if (hash[i] !== 'opts' || readableOpts(hash[i + 1])) continue;
      hash[i + 1] = '{}';
      this.unreadableOpts.add(String(jobId));
    }
  }

  protected override createJob(json: JobJson, jobId: string): Job<D, R> {
    const optsRefused = this.unreadableOpts.delete(String(jobId));
    // BullMQ reads a job with no data field as `{}`.
    const dataRefusal = this.check(json.data || '{}');
    if (!dataRefusal && !optsRefused) return super.createJob(json, jobId);

    const fields: Record<string, string> = {};
    if (optsRefused) fields.opts = '{}';
    if (dataRefusal) fields.data = 'null';
    // The options came decoded, as `{}`: only the data is left to set.
    const job = super.createJob(dataRefusal ? { ...json, data: 'null' } : json, jobId);
    refusals.set(job, { error: dataRefusal ?? this.optsRefusal, fields });
    return job;
  }

  private async runChecked(
    job: Job<D, R>,
    processor: Processor<D, R>,
    token?: string,
  ): Promise<R> {
    const refusal = refusals.get(job);
    if (refusal && token && job.id) {
      const key = this.toKey(job.id);
      const fields = Object.entries(refusal.fields).flat();
      await this.redis.eval(REPLACE_FIELDS, 2, key, `${key}:lock`, token, ...fields);
    }
    return processor(job, token);
  }
}
