import os from 'node:os';
import type { Config } from '@ingest/config';
import {
  checkRedis,
  countWorkerJobs,
  createRedis,
  openQueue,
  openWorker,
  RedisOutage,
  RunHandBack,
  handBackAfter,
  redisAnswers,
  closeWaitMs,
  closeWorker,
  StorageWait,
  type TypedJob,
  type WaitLedger,
} from '@ingest/queue';
import { StateStore, UpdateStore } from '@ingest/state';
import {
  isStorageUnavailable,
  openStorage,
  type Storage,
} from '@ingest/storage';
import {
  OpsServer,
  closeInSteps,
  createLogger,
  createRegistry,
  type Logger,
} from '@ingest/telemetry';
import { mediaMaker } from './media-maker';
import type { RenditionMaker } from './rendition-maker';
import { transcodeMetrics } from './transcode-metrics';
import { transcodeProcessor } from './transcode-processor';
import { updateProcessor } from './update-processor';
import { sweepDeadWorkDirs, workDirOf } from './work-dirs';

/** A transcode keeps its wait for storage in its data, across put-backs. */
const dataLedger: WaitLedger<TypedJob<'transcode'>> = {
  read: (job) => job.data.storageWait,
  write: (job, storageWait) => job.updateData({ ...job.data, storageWait }),
};

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
  const redis = createRedis(
    config.redisUrl,
    'worker',
    new RedisOutage(logger),
  );
  await checkRedis(redis, logger);
  const maker = overrides.maker ?? (await mediaMaker(config, logger));

  const store = new StateStore(redis);
  // Local copies of S3 sources go where crashed runs' files are swept.
  const storage =
    overrides.storage ??
    openStorage(config.storageUrl, { workDir: workDirOf(config.dataDir) });
  const completion = openQueue('completion', redis);
  const index = openQueue('index', redis);
  const registry = createRegistry('transcoder');
  const metrics = transcodeMetrics(registry);

  const sweep = (atStart: boolean) =>
    sweepDeadWorkDirs(config.dataDir, { atStart }).then(
      (pids) => pids.length && logger.info({ pids }, 'work dirs swept'),
      (err) => logger.warn({ err }, 'work dir sweep failed'),
    );
  await sweep(true);
  const handBack = new RunHandBack();
  const storageWait = new StorageWait({
    storage,
    isOutage: isStorageUnavailable,
    ledger: dataLedger,
    logger,
    metrics: metrics.storage,
  });

  const processorDeps = {
    store,
    storage,
    maker,
    completion,
    index,
    logger,
    workDir: workDirOf(config.dataDir),
    signal: handBack.signal,
    storageWait,
    onRendition: metrics.rendition,
  };
  const processor = transcodeProcessor(processorDeps);
  const applyUpdate = updateProcessor({
    ...processorDeps,
    updates: new UpdateStore(redis),
  });
  const worker = openWorker(
    'transcode',
    redis,
    handBack.wrap(
      storageWait.wrap(async (job) => {
        const result = job.data.updateId
          ? await applyUpdate(job)
          : await processor(job);
        metrics.outcome(result);
        return result;
      }),
    ),
    {
      concurrency: config.transcoderConcurrency,
      lockDurationMs: config.transcodeLockMs,
      logger,
    },
  );
  storageWait.attach(worker);
  // A run taken back from a dead transcoder may have left its folder.
  worker.on('stalled', () => void sweep(false));
  countWorkerJobs(registry, worker);
  void worker.run();

  let draining = false;
  const ops = new OpsServer({
    port: config.transcoderPort,
    host: config.host,
    registry,
    ready: async () => {
      // Draining: it takes no new runs, whatever Redis and storage say.
      if (draining) return { ready: false, reason: 'shutting down' };
      if (!(await redisAnswers(redis))) {
        return { ready: false, reason: 'redis unreachable' };
      }
      const stored = await storage.ready();
      // Paused by StorageWait: its loop stopped, on purpose.
      if (!stored.ready || worker.isRunning() || worker.isPaused()) {
        return stored;
      }
      return { ready: false, reason: 'the worker is not running' };
    },
  });
  const port = await ops.listen();
  logger.info(
    { port, concurrency: config.transcoderConcurrency, cores: os.cpus().length },
    'transcoder running',
  );

  // Each step is guarded (one that fails is logged and the next still
  // runs), so a failing part never leaves the rest open.
  const close = closeInSteps(logger, [
    {
      // close() waits for runs in flight; those still running near the
      // deadline are stopped and handed back to the queue.
      name: 'worker',
      run: async () => {
        draining = true;
        const disarm = handBack.armDeadline(
          handBackAfter(config.shutdownTimeoutMs),
        );
        try {
          await closeWorker(
            worker,
            closeWaitMs(config.shutdownTimeoutMs),
            logger,
          );
        } finally {
          disarm();
        }
      },
    },
    { name: 'storage wait', run: () => storageWait.close() },
    { name: 'completion queue', run: () => completion.close() },
    { name: 'index queue', run: () => index.close() },
    { name: 'storage', run: () => storage.close() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'redis', run: () => redis.disconnect() },
  ]);

  return { port, close };
}
