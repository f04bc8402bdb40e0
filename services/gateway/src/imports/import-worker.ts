import { UnrecoverableError } from 'bullmq';
import { ApiError } from '@ingest/core';
import {
  RunHandBack,
  countWorkerJobs,
  createRedis,
  dataRefusalOf,
  openWorker,
  type RedisFullWatch,
  type RedisOutage,
  closeWorker,
  StorageWait,
  type ImportPayloadV1,
  type TypedJob,
  type WaitLedger,
} from '@ingest/queue';
import { isStorageUnavailable, type Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import type { Registry } from 'prom-client';
import { usableRequestId } from '../http/request-id';
import { importDataCheck, importOptsRefusal } from './import-data-check';
import type { InboundImporter } from './inbound-importer';

export interface ImportWorker {
  /**
   * Stops; an import still running after `handBackAfterMs` is handed
   * back, and the worker's close is waited for `waitMs` at most.
   */
  close(handBackAfterMs: number, waitMs: number): Promise<void>;
}

/**
 * Runs the `imports` queue: each job is one upload, answered as the
 * HTTP upload answers. Imports queue behind each other instead of getting
 * 429 (the HTTP upload slot is not taken); `concurrency` of them run at
 * once, so one source that hangs does not hold up every other site's.
 * The answer body is the job's return value; a refusal fails the job at
 * once (no retry can change it) with the refusal's JSON error body as its
 * failed reason; so does data past `maxDataBytes` or not JSON, judged
 * before BullMQ parses it, and options that are no JSON object
 * (CheckedDataWorker). A store that cannot be
 * reached puts the import back without counting an attempt
 * (`StorageWait`) for up to a day after it was queued. Anything else is
 * retried by the queue's policy and, in the end, reads as `internal`.
 */
export function startImportWorker(
  redisUrl: string,
  outage: RedisOutage,
  redisFull: RedisFullWatch,
  importer: InboundImporter,
  logger: Logger,
  options: {
    concurrency: number;
    storage: Storage;
    registry?: Registry;
    /** Job data past this (its JSON text, bytes) is refused unread. */
    maxDataBytes: number;
  },
): ImportWorker {
  // Blocking commands need a connection that never gives up a request.
  const connection = createRedis(redisUrl, 'worker', outage);
  const handBack = new RunHandBack();
  const storageWait = new StorageWait({
    storage: options.storage,
    isOutage: isStorageUnavailable,
    ledger: queuedLedger,
    logger,
  });
  const run = async (job: TypedJob<'imports'>) => {
    const started = Date.now();
    // Read before the payload is checked: only values fit for a log.
    const data: Partial<ImportPayloadV1> = job.data ?? {};
    const { siteId, requestId } = data;
    const fields = {
      queue: 'imports',
      bullJobId: job.id,
      siteId: Number.isSafeInteger(siteId) ? siteId : undefined,
      requestId: usableRequestId(requestId),
      attempt: job.attemptsMade + 1,
    };
    try {
      // Data BullMQ could not have read (or should not) is null here.
      const refusal = dataRefusalOf(job);
      if (refusal) throw refusal;
      const answer = await importer.run(job.data, handBack.signal);
      logger.info(
        {
          ...fields,
          uploadId: answer.upload_id,
          durationMs: Date.now() - started,
        },
        'import accepted',
      );
      return answer;
    } catch (err) {
      const durationMs = Date.now() - started;
      if (handBack.signal.aborted) {
        // Neither refused nor failed: this or another gateway runs it again.
        logger.info({ ...fields, durationMs }, 'import handed back');
        throw err;
      }
      if (err instanceof ApiError) {
        logger.info(
          { ...fields, code: err.code, durationMs },
          'import refused',
        );
        throw new UnrecoverableError(JSON.stringify(err.toBody()));
      }
      if (storageWait.holds(job, err)) throw err;
      logger.error({ ...fields, err, durationMs }, 'import failed');
      throw new Error(JSON.stringify(new ApiError('internal').toBody()));
    }
  };
  const worker = openWorker(
    'imports',
    connection,
    handBack.wrap(storageWait.wrap(run)),
    {
      concurrency: options.concurrency,
      logger,
      redisFull,
      dataCheck: importDataCheck(options.maxDataBytes, logger),
      optsRefusal: importOptsRefusal(),
    },
  );
  storageWait.attach(worker);
  if (options.registry) countWorkerJobs(options.registry, worker);
  void worker.run();

  let closing: Promise<void> | undefined;
  return {
    close: (handBackAfterMs, waitMs) =>
      (closing ??= (async () => {
        const disarm = handBack.armDeadline(handBackAfterMs);
        await closeWorker(worker, waitMs, logger);
        disarm();
        storageWait.close();
        connection.disconnect();
      })()),
  };
}

/**
 * An import's payload is the producer's and takes no field of ours, so
 * its wait is read off the queue's own counts: it waits from when it was
 * queued, and each run that ended neither done nor failed (a put-back)
 * doubles the next delay.
 */
const queuedLedger: WaitLedger<TypedJob<'imports'>> = {
  read: (job) => ({
    since: job.timestamp,
    times: Math.max(0, job.attemptsStarted - job.attemptsMade - 1),
  }),
  write: async () => {},
};
