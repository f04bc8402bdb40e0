import { setTimeout as sleep } from 'node:timers/promises';
import { IngestApiError, type UploadResult } from '@ingest/client';
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
import { RedisUnreachableError } from './redis-unreachable-error';

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
   * it was answered, a week if refused). Not all digits. Default: an id
   * BullMQ picks.
   */
  importId?: string;
}

export interface WaitForImportOptions {
  /** Give up after this long, ms. Default 600 000 (10 min). */
  timeoutMs?: number;
  /** Pause between looks, ms. Default 500. */
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
   * its `cause` is Redis's answer.
   */
  async enqueueImport(
    payload: ImportPayloadV1,
    options: EnqueueOptions = {},
  ): Promise<string> {
    await this.connected();
    try {
      const job = await this.queue.add('import', payload, {
        jobId: options.importId,
      });
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
   * queue does not hold), `ImportTimeoutError` when not answered in time.
   */
  async waitForImport(
    importId: string,
    options: WaitForImportOptions = {},
  ): Promise<UploadResult> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.queue.getJobState(importId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        const job =
          state === 'unknown' ? undefined : await this.queue.getJob(importId);
        if (!job) {
          throw new IngestApiError(IMPORTS_ENDPOINT, 404, {
            error: `import ${importId} not found`,
            code: 'not_found',
          });
        }
        if (state === 'completed') return job.returnvalue;
        throw importFailure(job.failedReason, job.data.requestId);
      }
      if (Date.now() > deadline) {
        throw new ImportTimeoutError(importId, timeoutMs, state);
      }
      await sleep(options.intervalMs ?? 500, undefined, {
        signal: options.signal,
      });
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
