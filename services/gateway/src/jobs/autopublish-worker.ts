import {
  closeWorker,
  createRedis,
  openWorker,
  type RedisFullWatch,
  type RedisOutage,
} from '@ingest/queue';
import type { Logger } from '@ingest/telemetry';
import type { Autopublisher } from './autopublisher';

export interface AutopublishWorker {
  /** Stops, waiting `waitMs` at most for the worker to close. */
  close(waitMs: number): Promise<void>;
}

/**
 * Runs the autopublish timers that came due. Every gateway runs one;
 * BullMQ hands each timer to one of them, and a timer that came due
 * while no gateway ran is taken by the first to start.
 */
export function startAutopublishWorker(
  redisUrl: string,
  outage: RedisOutage,
  redisFull: RedisFullWatch,
  autopublisher: Autopublisher,
  logger: Logger,
): AutopublishWorker {
  // Blocking commands need a connection that never gives up a request.
  const connection = createRedis(redisUrl, 'worker', outage);
  const worker = openWorker(
    'autopublish',
    connection,
    async (job) => {
      const started = Date.now();
      const { jobId, requestId, handover } = job.data;
      const outcome = handover
        ? await autopublisher.handOverIfPublishing(jobId, requestId)
        : await autopublisher.publishIfOpen(jobId, 'idle', requestId);
      logger.info(
        {
          queue: 'autopublish',
          bullJobId: job.id,
          jobId: job.data.jobId,
          attempt: job.attemptsMade + 1,
          outcome,
          durationMs: Date.now() - started,
        },
        'autopublish timer ran',
      );
      return { outcome };
    },
    { logger, redisFull },
  );
  worker.on('failed', (job, err) => {
    logger.warn(
      { err, queue: 'autopublish', jobId: job?.data.jobId },
      'autopublish failed',
    );
  });
  void worker.run();

  let closing: Promise<void> | undefined;
  return {
    close: (waitMs: number) =>
      (closing ??= (async () => {
        await closeWorker(worker, waitMs, logger);
        connection.disconnect();
      })()),
  };
}
