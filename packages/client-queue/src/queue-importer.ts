import { setTimeout as sleep } from 'node:timers/promises';
import { IngestApiError, type UploadResult } from '@ingest/client';
import {
  createRedis,
  openQueue,
  type ImportPayloadV1,
  type TypedQueue,
} from '@ingest/queue';
import type { Redis } from 'ioredis';
import { IMPORTS_ENDPOINT, importFailure } from './import-failure';
import { ImportTimeoutError } from './import-timeout-error';

export interface QueueImporterOptions {
  /** The Redis the gateways use (their `REDIS_URL`). */
  redisUrl?: string;
  /** Or a connection of yours; `close()` leaves it open. */
  connection?: Redis;
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
  private closing?: Promise<void>;

  constructor(options: QueueImporterOptions) {
    if (!options.connection && !options.redisUrl) {
      throw new Error('QueueImporter needs redisUrl or connection');
    }
    this.ownsConnection = !options.connection;
    this.connection = options.connection ?? createRedis(options.redisUrl!);
    this.queue = openQueue('imports', this.connection);
  }

  /** Queues one import; answers its id for `waitForImport`. */
  async enqueueImport(
    payload: ImportPayloadV1,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const job = await this.queue.add('import', payload, {
      jobId: options.importId,
    });
    return job.id!;
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
