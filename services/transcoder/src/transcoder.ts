import os from 'node:os';
import path from 'node:path';
import type { Config } from '@ingest/config';
import {
  checkRedis,
  countWorkerJobs,
  createRedis,
  openQueue,
  openWorker,
} from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { openStorage, type Storage } from '@ingest/storage';
import {
  OpsServer,
  createLogger,
  createRegistry,
  type Logger,
} from '@ingest/telemetry';
import { mediaMaker } from './media-maker';
import type { RenditionMaker } from './rendition-maker';
import { transcodeMetrics } from './transcode-metrics';
import { transcodeProcessor } from './transcode-processor';

export interface TranscoderOverrides {
  logger?: Logger;
  storage?: Storage;
  maker?: RenditionMaker;
}

export interface RunningTranscoder {
  port: number;
  close(): Promise<void>;
}

/** The transcoder's composition root. */
export async function startTranscoder(
  config: Config,
  overrides: TranscoderOverrides = {},
): Promise<RunningTranscoder> {
  const logger =
    overrides.logger ?? createLogger('transcoder', config.logLevel);
  const redis = createRedis(config.redisUrl, 'worker');
  await checkRedis(redis, logger);
  const maker = overrides.maker ?? (await mediaMaker(config, logger));

  const store = new StateStore(redis);
  const storage = overrides.storage ?? openStorage(config.storageUrl);
  const completion = openQueue('completion', redis);
  const registry = createRegistry('transcoder');
  const metrics = transcodeMetrics(registry);

  const processor = transcodeProcessor({
    store,
    storage,
    maker,
    completion,
    logger,
    workDir: path.join(config.dataDir, 'work', `transcoder-${process.pid}`),
    onRendition: metrics.rendition,
  });
  const worker = openWorker(
    'transcode',
    redis,
    async (job) => {
      const result = await processor(job);
      metrics.outcome(result);
      return result;
    },
    { concurrency: config.transcoderConcurrency },
  );
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  countWorkerJobs(registry, worker);
  void worker.run();

  const ops = new OpsServer({
    port: config.transcoderPort,
    host: config.host,
    registry,
    ready: async () => worker.isRunning() && (await redis.ping()) === 'PONG',
  });
  const port = await ops.listen();
  logger.info(
    { port, concurrency: config.transcoderConcurrency, cores: os.cpus().length },
    'transcoder running',
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // close() waits for runs in flight; what the deadline cuts off is
      // taken back by another transcoder when its lock lapses.
      await worker.close().catch(() => {});
      await completion.close().catch(() => {});
      await storage.close().catch(() => {});
      await ops.close();
      redis.disconnect();
    })());

  return { port, close };
}
