import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestApiError, timerMs, type UploadResult } from '@ingest/client';
import { ERRORS } from '@ingest/core';
import {
  createRedis,
  isRedisOutOfMemory,
  openQueue,
  REDIS_FULL_ANSWER,
  type ImportPayloadV1,
  type TypedQueue,
} from '@ingest/queue';
import type { Redis } from 'ioredis';
import { IMPORTS_ENDPOINT, importFailure } from './import-failure';
import { ImportTimeoutError } from './import-timeout-error';
import { ImportUnconfirmedError } from './import-unconfirmed-error';
import { RedisUnreachableError } from './redis-unreachable-error';

/** How long a look at Redis may take when the wait's time is up, ms. */
const LOOK_MIN_MS = 1_000;

export interface QueueImporterOptions {
  /** The Redis the gateways use (their `REDIS_URL`). */
  redisUrl?: string;
  /** Or a connection of yours; `close()` leaves it open. */
  connection?: Redis;
  /**
   * How long `enqueueImport` waits for Redis to be connected before it
   * throws `RedisUnreachableError`, ms. Default 10 000.
   */
  connectTimeoutMs?: number;
}

export interface EnqueueOptions {
  /**
   * The import's id (BullMQ job id), for producers that may send twice:
   * the same id again adds nothing while the first is kept (a day after
   * it was answered, a week if refused). No integer (`7`, `-1`), no `:`;
   * BullMQ refuses those.
   * Default: a new random id (`imp-` and a UUID), so that an add which
   * ioredis sends again after a lost connection adds nothing either.
   */
  importId?: string;
  /**
   * How long Redis has to confirm the add once connected, in ms; then
   * `ImportUnconfirmedError` (the add may still land: enqueue again with
   * its `importId`). Default 30 s.
   */
  timeoutMs?: number;
}

export interface WaitForImportOptions {
  /**
   * Give up after this long, ms, also when Redis stops answering (a
   * look at Redis under way then has at least 1 s in all). Default
   * 600 000 (10 min); more than a timer holds (about 24.8 days, or
   * Infinity) counts as that much. Not positive: a TypeError.
   */
  timeoutMs?: number;
  /** Pause between looks, ms, positive. Default 500. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends uploads to the gateways through the `imports` queue on the shared
 * Redis (docs/inbound-queue.md), for services inside the Redis trust
 * boundary. Answers are those of `/api/import/upload`; refusals are
 * `IngestApiError`s with the same `code`, message and extras.
 */
export class QueueImporter {
  private readonly queue: TypedQueue<'imports'>;
  private readonly connection: Redis;
  private readonly ownsConnection: boolean;
  private readonly connectTimeoutMs: number;
  private lastError?: Error;
  private closing?: Promise<void>;

  constructor(options: QueueImporterOptions) {
    if (!options.connection && !options.redisUrl) {
      throw new Error('QueueImporter needs redisUrl or connection');
    }
    this.ownsConnection = !options.connection;
    this.connection = options.connection ?? createRedis(options.redisUrl!);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    // ioredis retries forever in silence: keep the reason to report it.
    this.connection.on('error', (err: Error) => (this.lastError = err));
    this.queue = openQueue('imports', this.connection);
  }

  /**
   * Queues one import; answers its id for `waitForImport`. Throws
   * `RedisUnreachableError` when Redis is not connected within
   * `connectTimeoutMs`: the import is then not queued, not even later.
   * Throws `IngestApiError` 503 `not_ready` when Redis is full
   * (`maxmemory`), as the HTTP API answers then; nothing is queued, and
   * its `cause` is Redis's answer. Throws `ImportUnconfirmedError` when
   * a connected Redis does not answer the add within `timeoutMs`.
   */
  async enqueueImport(
    payload: ImportPayloadV1,
    options: EnqueueOptions = {},
  ): Promise<string> {
    // A bad limit is the caller's mistake, told before any wait on Redis.
    const timeoutMs = timerMs('timeoutMs', options.timeoutMs, 30_000);
    await this.connected();
    // Never BullMQ's counter: ioredis resends a command whose answer a
    // dropped connection lost, and that add may have gone through.
    const importId = options.importId ?? `imp-${randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const unconfirmed = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ImportUnconfirmedError(importId, timeoutMs)),
          timeoutMs,
        );
      });
      const job = await Promise.race([
        this.queue.add('import', payload, { jobId: importId }),
        unconfirmed,
      ]);
      return job.id!;
    } catch (err) {
      if (!isRedisOutOfMemory(err)) throw err;
      throw new IngestApiError(
        IMPORTS_ENDPOINT,
        ERRORS.not_ready.status,
        { error: REDIS_FULL_ANSWER, code: 'not_ready' },
        undefined,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the connection to be ready, at most connectTimeoutMs. */
  private async connected(): Promise<void> {
    if (this.connection.status === 'ready') return;
    const { host, port } = this.connection.options;
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onReady = resolve;
        this.connection.once('ready', onReady);
        timer = setTimeout(() => {
          const address = `${host ?? '127.0.0.1'}:${port ?? 6379}`;
          reject(
            new RedisUnreachableError(
              address,
              this.connectTimeoutMs,
              this.lastError,
            ),
          );
        }, this.connectTimeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (onReady) this.connection.off('ready', onReady);
    }
  }

  /**
   * The upload answer of an import, once a gateway has run it. Throws
   * `IngestApiError` when it was refused (`not_found` for an id the
   * queue does not hold), `ImportTimeoutError` when not answered in time
   * (also when Redis stops answering), and an `AbortError` once `signal`
   * aborts.
   */
  async waitForImport(
    importId: string,
    options: WaitForImportOptions = {},
  ): Promise<UploadResult> {
    // Checked as the SDK's waitForJob checks its own: a limit past what a
    // timer holds (Infinity) would fire the look's timer at once, and an
    // interval of 0 would poll Redis without a pause.
    const timeoutMs = timerMs('timeoutMs', options.timeoutMs, 600_000);
    const intervalMs = timerMs('intervalMs', options.intervalMs, 500);
    const deadline = Date.now() + timeoutMs;
    let state = 'unread';
    // A Redis that takes a command and never answers (a stalled server,
    // a lost route) would hold a plain await past the deadline. The last
    // look, at the deadline, still has LOOK_MIN_MS to be answered.
    const look = <T>(work: Promise<T>) =>
      bounded(
        work,
        Math.max(deadline, Date.now() + LOOK_MIN_MS),
        options.signal,
        () => new ImportTimeoutError(importId, timeoutMs, state),
      );
    for (;;) {
      state = await look(this.queue.getJobState(importId));
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        const job =
          state === 'unknown'
            ? undefined
            : await look(this.queue.getJob(importId));
        if (!job) {
          throw new IngestApiError(IMPORTS_ENDPOINT, 404, {
            error: `import ${importId} not found`,
            code: 'not_found',
          });
        }
        if (state === 'completed') return job.returnvalue;
        // Data is the producer's: any BullMQ client may have sent null.
        const requestId: unknown = job.data?.requestId;
        throw importFailure(
          job.failedReason,
          typeof requestId === 'string' ? requestId : undefined,
        );
      }
      if (Date.now() > deadline) {
        throw new ImportTimeoutError(importId, timeoutMs, state);
      }
      const pause = Math.min(intervalMs, deadline - Date.now());
      await sleep(Math.max(pause, 0), undefined, { signal: options.signal });
    }
  }

  /** Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.queue.close().catch(() => {});
      if (this.ownsConnection) this.connection.disconnect();
    })());
  }
}

/**
 * `work`, or an error once `deadline` (epoch ms) passes or `signal`
 * aborts, whichever comes first. A late answer of `work` is dropped.
 */
function bounded<T>(
  work: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
  timedOut: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(timedOut()),
      Math.max(0, deadline - Date.now()),
    );
    onAbort = () => reject(abortError(signal!));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, stop]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/** What `timers/promises` throws on abort, so both waits throw alike. */
function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', {
    cause: signal.reason,
  });
  return Object.assign(error, { name: 'AbortError', code: 'ABORT_ERR' });
}
