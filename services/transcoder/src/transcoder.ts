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
  redisReadiness,
  closeWaitMs,
  closeWorker,
  StorageWait,
  type TypedJob,
  type TypedQueue,
  type WaitLedger,
} from '@ingest/queue';
import {
  catalogRecordOf,
  SiteReservations,
  SiteUsage,
  StateStore,
  storeRecordOf,
  tracksNumberedBy,
  UpdateStore,
} from '@ingest/state';
import {
  checkCatalogMark,
  isOutOfSpace,
  isStorageUnavailable,
  openStorage,
  warnIfStorageNotReady,
  type Storage,
} from '@ingest/storage';
import {
  OpsServer,
  closeInSteps,
  createLogger,
  createRegistry,
  type Logger,
  type ReadyAnswer,
  type ShutdownStep,
} from '@ingest/telemetry';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { mediaMaker } from './media-maker';
import type { RenditionMaker } from './rendition-maker';
import { stalledOutWatch } from './stalled-out';
import { transcodeMetrics } from './transcode-metrics';
import { transcodeProcessor } from './transcode-processor';
import { updateProcessor } from './update-processor';
import {
  removeOwnWorkDir,
  sweepDeadWorkDirs,
  workDirOf,
} from './work-dirs';

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

/**
 * The transcoder's composition root: checks Redis and ffmpeg, opens the
 * transcode worker, serves the ops endpoints, then runs the worker. A
 * start that fails part way closes what it opened before it throws, the
 * connection to Redis included.
 */
export async function startTranscoder(
  config: Config,
  overrides: TranscoderOverrides = {},
): Promise<RunningTranscoder> {
  const logger =
    overrides.logger ?? createLogger('transcoder', config.logLevel);
  const outage = new RedisOutage(logger);
  const redis = createRedis(config.redisUrl, 'worker', outage);
  let close = closeInSteps(logger, [
    { name: 'redis', run: () => redis.disconnect() },
  ]);
  try {
    await checkRedis(redis, logger);
    const maker = overrides.maker ?? (await mediaMaker(config, logger));

    // Local copies of S3 sources go where crashed runs' files are swept.
    const storage =
      overrides.storage ??
      openStorage(config.storageUrl, { workDir: workDirOf(config.dataDir) });
    await checkCatalogMark(storage, catalogRecordOf(redis), {
      where: config.storageUrl,
      tracksNumbered: await tracksNumberedBy(redis),
      stores: storeRecordOf(redis),
      logger,
    });
    const registry = createRegistry('transcoder');
    const sweep = workDirSweeper(config, logger);
    await sweep(true);

    const run = openTranscodeRun({
      config,
      logger,
      redis,
      storage,
      maker,
      registry,
    });
    // A run taken back from a dead transcoder may have left its folder.
    run.worker.on('stalled', () => void sweep(false));

    let draining = false;
    const ops = new OpsServer({
      port: config.transcoderPort,
      host: config.host,
      portSetting: 'TRANSCODER_PORT',
      registry,
      ready: () => readiness({ draining, redis, storage, worker: run.worker }),
    });
    close = closeInSteps(
      logger,
      closeSteps(config, logger, run, {
        storage,
        ops,
        redis,
        stopTakingWork: () => {
          draining = true;
          outage.close();
        },
      }),
    );
    // Listening first: a port in use stops the start before any run.
    const port = await ops.listen();
    void run.worker.run();
    logger.info(
      {
        port,
        concurrency: config.transcoderConcurrency,
        cores: os.cpus().length,
      },
      'transcoder running',
    );
    void warnIfStorageNotReady(storage, logger);
    outage.watchAnswers(redis);
    return { port, close };
  } catch (err) {
    await close();
    throw err;
  }
}

interface RunDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  storage: Storage;
  maker: RenditionMaker;
  registry: Registry;
}

/** The transcode worker and what its runs hold, not started yet. */
interface TranscodeRun {
  worker: Worker;
  handBack: RunHandBack;
  storageWait: StorageWait<TypedJob<'transcode'>>;
  completion: TypedQueue<'completion'>;
  index: TypedQueue<'index'>;
}

/** Opens the transcode worker over its processors; does not run it. */
function openTranscodeRun(deps: RunDeps): TranscodeRun {
  const { config, logger, redis, storage } = deps;
  const completion = openQueue('completion', redis);
  const index = openQueue('index', redis);
  const metrics = transcodeMetrics(deps.registry);
  const handBack = new RunHandBack();
  const storageWait = new StorageWait({
    storage,
    // A full work disk is waited out as the store is: the same run
    // fails at once on retry, and three such failures errored uploads.
    isOutage: (err) => isStorageUnavailable(err) || isOutOfSpace(err),
    ledger: dataLedger,
    logger,
    metrics: metrics.storage,
  });

  const processorDeps = {
    store: new StateStore(redis),
    storage,
    maker: deps.maker,
    completion,
    index,
    logger,
    workDir: workDirOf(config.dataDir),
    signal: handBack.signal,
    storageWait,
    onRendition: metrics.rendition,
    usage: new SiteUsage(redis),
    quotaBytes: config.siteQuotaBytes,
    reservations: new SiteReservations(redis),
    // A dead run's hold lapses about when its job is taken back.
    holdTtlMs: config.transcodeLockMs,
  };
  const processor = transcodeProcessor(processorDeps);
  const withUpdates = { ...processorDeps, updates: new UpdateStore(redis) };
  const applyUpdate = updateProcessor(withUpdates);
  const watch = stalledOutWatch(withUpdates, redis, config.transcodeLockMs);
  const worker = openWorker(
    'transcode',
    redis,
    handBack.wrap(
      storageWait.wrap(
        watch.wrap(async (job) => {
          const result = job.data.updateId
            ? await applyUpdate(job)
            : await processor(job);
          metrics.outcome(result);
          return result;
        }),
      ),
    ),
    {
      concurrency: config.transcoderConcurrency,
      lockDurationMs: config.transcodeLockMs,
      logger,
    },
  );
  storageWait.attach(worker);
  // Runs that all died: BullMQ fails the job without a run to error it.
  worker.on('failed', watch.failed);
  countWorkerJobs(deps.registry, worker);
  return { worker, handBack, storageWait, completion, index };
}

/** Sweeps the work dirs of dead transcoders: `atStart`, or on a stall. */
function workDirSweeper(config: Config, logger: Logger) {
  return (atStart: boolean) =>
    sweepDeadWorkDirs(config.dataDir, { atStart }).then(
      (pids) => pids.length && logger.info({ pids }, 'work dirs swept'),
      (err) => logger.warn({ err }, 'work dir sweep failed'),
    );
}

async function readiness(state: {
  draining: boolean;
  redis: Redis;
  storage: Storage;
  worker: Worker;
}): Promise<ReadyAnswer> {
  // Draining: it takes no new runs, whatever Redis and storage say.
  if (state.draining) return { ready: false, reason: 'shutting down' };
  const found = await redisReadiness(state.redis);
  if (!found.ready) return found;
  const stored = await state.storage.ready();
  // Paused by StorageWait: its loop stopped, on purpose.
  const { worker } = state;
  if (!stored.ready || worker.isRunning() || worker.isPaused()) {
    return stored;
  }
  return { ready: false, reason: 'the worker is not running' };
}

/**
 * The transcoder's shutdown, in fixed steps run each guarded: the
 * worker first, then what its runs used.
 */
function closeSteps(
  config: Config,
  logger: Logger,
  run: TranscodeRun,
  rest: {
    storage: Storage;
    ops: OpsServer;
    redis: Redis;
    /** Turns /readyz to 503. */
    stopTakingWork: () => void;
  },
): ShutdownStep[] {
  return [
    {
      name: 'worker',
      run: () => {
        rest.stopTakingWork();
        return closeRun(config, logger, run);
      },
    },
    { name: 'storage wait', run: () => run.storageWait.close() },
    { name: 'completion queue', run: () => run.completion.close() },
    { name: 'index queue', run: () => run.index.close() },
    { name: 'storage', run: () => rest.storage.close() },
    // Runs and local copies are done: an empty folder is all that is left.
    { name: 'work dir', run: () => removeOwnWorkDir(config.dataDir) },
    { name: 'ops server', run: () => rest.ops.close() },
    { name: 'redis', run: () => rest.redis.disconnect() },
  ];
}

/**
 * close() waits for runs in flight; those still running near the
 * deadline are stopped and handed back to the queue.
 */
async function closeRun(config: Config, logger: Logger, run: TranscodeRun) {
  const disarm = run.handBack.armDeadline(
    handBackAfter(config.shutdownTimeoutMs),
  );
  try {
    const waitMs = closeWaitMs(config.shutdownTimeoutMs);
    await closeWorker(run.worker, waitMs, logger);
  } finally {
    disarm();
  }
}
