import path from 'node:path';
import type { Config } from '@ingest/config';
import { safeRequest } from '@ingest/net';
import {
  checkRedis,
  createRedis,
  openQueue,
  countWorkerJobs,
  handBackAfter,
  openWorker,
  RedisOutage,
  RunHandBack,
  RedisFullWatch,
  type TypedQueue,
  redisReadiness,
  closeWaitMs,
  closeWorker,
} from '@ingest/queue';
import { SearchIndex, StateStore, UpdateStore } from '@ingest/state';
import {
  closeInSteps,
  createLogger,
  createRegistry,
  OpsServer,
  type Logger,
  type ShutdownStep,
} from '@ingest/telemetry';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createCompletionProcessor } from './completion-processor';
import { DeliveryJobs } from './delivery-jobs';
import { DeliveryRecorder } from './delivery-recorder';
import { ContactNotices } from './contact-notices';
import { DigestSweep } from './digest-sweep';
import { EmailPace } from './email-pace';
import { createEmailProcessor } from './email-processor';
import { createIndexProcessor } from './index-processor';
import { createMailSender, type MailSender } from './mail-sender';
import { createNotifierMetrics } from './notifier-metrics';
import { leaseMsFor, SiteLeases } from './site-leases';
import { WEBHOOK_SLOTS_SITE_MOST } from './site-slots';
import { createWebhookProcessor, type WebhookPost } from './webhook-processor';

/** Parts a test or an embedding process may supply itself. */
export interface NotifierDeps {
  logger?: Logger;
  registry?: Registry;
  /** Webhook transport; `@ingest/net`'s safeRequest by default. */
  post?: WebhookPost;
  /** Mail transport; SMTP or the outbox per configuration by default. */
  mailSender?: MailSender;
  /**
   * How often a site's contact is emailed about webhooks that gave up,
   * ms (see ContactNotices); CONTACT_WINDOW_MS by default.
   */
  contactWindowMs?: number;
  /**
   * The span INGEST_EMAILS_PER_SITE_HOUR counts in, ms (see EmailPace);
   * an hour by default.
   */
  emailPaceWindowMs?: number;
}

export interface RunningNotifier {
  /** Port of the ops server (/healthz, /readyz, /metrics). */
  port: number;
  /** Shutdown steps in order, for the process's signal handler. */
  steps: ShutdownStep[];
  /** Runs every step once; later calls wait for the same close. */
  close(): Promise<void>;
}

/**
 * The notifier's composition root: checks Redis, opens the queues and
 * the workers, and serves the ops endpoints.
 */
export async function startNotifier(
  config: Config,
  deps: NotifierDeps = {},
): Promise<RunningNotifier> {
  const logger = deps.logger ?? createLogger('notifier', config.logLevel);
  const registry = deps.registry ?? createRegistry('notifier');
  const sender =
    deps.mailSender ??
    createMailSender({
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      outboxDir: path.join(config.dataDir, 'outbox'),
    });
  const outage = new RedisOutage(logger);
  const redis = createRedis(config.redisUrl, 'command', outage);
  const connection = createRedis(config.redisUrl, 'worker', outage);

  try {
    await checkRedis(redis, logger);
  } catch (err) {
    redis.disconnect();
    connection.disconnect();
    throw err;
  }

  // Deliveries retry on the configured schedules: the queues give added
  // jobs their attempts, the workers the delay before each retry.
  const queues = {
    webhook: openQueue('webhook', connection, {
      scheduleMs: config.webhookScheduleMs,
    }),
    email: openQueue('email', connection, {
      scheduleMs: config.emailScheduleMs,
    }),
  };
  // Deliveries still running near the shutdown deadline go back to the
  // queue, as transcodes do, instead of holding the exit.
  const handBack = new RunHandBack();
  const { workers, sweep } = openWorkers({
    config,
    logger,
    registry,
    redis,
    connection,
    queues,
    handBack,
    sender,
    post: deps.post ?? safeRequest,
    contactWindowMs: deps.contactWindowMs,
    emailPaceWindowMs: deps.emailPaceWindowMs,
  });

  let draining = false;
  const ops = new OpsServer({
    port: config.notifierPort,
    host: config.host,
    portSetting: 'NOTIFIER_PORT',
    registry,
    // A draining notifier takes no new deliveries: not ready, as the
    // gateway says while it drains.
    ready: async () => {
      if (draining) return { ready: false, reason: 'shutting down' };
      const found = await redisReadiness(redis);
      return found.ready ? sender.ready() : found;
    },
  });
  const steps = closeSteps(config, logger, {
    workers,
    sweep,
    handBack,
    queues,
    sender,
    redis,
    connection,
    ops,
    stopTakingWork: () => {
      draining = true;
      outage.close();
    },
  });
  const close = closeInSteps(logger, steps);

  let port: number;
  try {
    port = await ops.listen();
  } catch (err) {
    await close();
    throw err;
  }
  for (const worker of workers) {
    worker.run().catch((err: Error) => {
      logger.error({ queue: worker.name, err: err.message }, 'worker stopped');
    });
  }
  sweep.start();
  outage.watchAnswers(redis);
  logger.info({ port }, 'notifier started');
  return { port, steps, close };
}

type DeliveryQueues = {
  webhook: TypedQueue<'webhook'>;
  email: TypedQueue<'email'>;
};

interface WorkerDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  redis: Redis;
  /** The workers' blocking connection. */
  connection: Redis;
  queues: DeliveryQueues;
  handBack: RunHandBack;
  sender: MailSender;
  post: WebhookPost;
  contactWindowMs?: number;
  emailPaceWindowMs?: number;
}

/**
 * Opens the completion, delivery and index workers; runs none yet. The
 * gateway runs the autopublish timers (it owns publishing) and the
 * inbound imports (they are uploads).
 */
function openWorkers(deps: WorkerDeps): {
  workers: Worker[];
  sweep: DigestSweep;
} {
  const { config, logger, connection, handBack } = deps;
  const { signal } = handBack;
  const store = new StateStore(deps.redis);
  const pace = new EmailPace(
    deps.redis,
    config.emailsPerSiteHour,
    deps.emailPaceWindowMs,
  );
  const jobs = new DeliveryJobs(deps.queues.webhook, deps.queues.email, pace);
  const recorder = new DeliveryRecorder(
    store,
    createNotifierMetrics(deps.registry),
    logger,
  );
  const completionProcessor = createCompletionProcessor({
    store,
    updates: new UpdateStore(deps.redis),
    jobs,
    logger,
    publicUrl: config.publicUrl,
  });
  const notices = new ContactNotices(deps.redis, jobs, deps.contactWindowMs);
  const webhookProcessor = createWebhookProcessor({
    store,
    notices,
    recorder,
    logger,
    post: deps.post,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivateUrls: config.allowPrivateUrls,
    signal,
    leases: new SiteLeases(
      deps.redis,
      WEBHOOK_SLOTS_SITE_MOST,
      leaseMsFor(config.webhookTimeoutMs),
    ),
  });
  const emailProcessor = createEmailProcessor({
    store,
    notices,
    sender: deps.sender,
    recorder,
    signal,
    logger,
  });
  const indexProcessor = createIndexProcessor({
    store,
    search: new SearchIndex(deps.redis),
    logger,
  });

  // Each runs as many jobs at once as QUEUE_POLICIES says; a full Redis
  // is told once for the four.
  const redisFull = new RedisFullWatch(deps.redis, logger);
  const workers: Worker[] = [
    openWorker('completion', connection, handBack.wrap(completionProcessor), {
      logger,
      redisFull,
    }),
    openWorker('webhook', connection, handBack.wrap(webhookProcessor), {
      logger,
      redisFull,
      scheduleMs: config.webhookScheduleMs,
    }),
    openWorker('email', connection, handBack.wrap(emailProcessor), {
      logger,
      redisFull,
      scheduleMs: config.emailScheduleMs,
    }),
    openWorker('index', connection, handBack.wrap(indexProcessor), {
      logger,
      redisFull,
    }),
  ];
  for (const worker of workers) countWorkerJobs(deps.registry, worker);
  workers[0].on('failed', (job, err) => {
    const fields = { jobId: job?.data.jobId, queue: 'completion' };
    const attempt = job ? job.attemptsMade : undefined;
    logger.warn({ ...fields, attempt, err: err.message }, 'completion failed');
  });
  return { workers, sweep: new DigestSweep(notices, logger) };
}

interface Running {
  workers: Worker[];
  /** Makes lost digest jobs again (see ContactNotices.sweep). */
  sweep: DigestSweep;
  handBack: RunHandBack;
  queues: DeliveryQueues;
  sender: MailSender;
  redis: Redis;
  connection: Redis;
  ops: OpsServer;
  /** Turns /readyz to 503. */
  stopTakingWork: () => void;
}

/** The notifier's shutdown, in fixed steps run each guarded. */
function closeSteps(
  config: Config,
  logger: Logger,
  running: Running,
): ShutdownStep[] {
  const { queues, redis, connection } = running;
  return [
    // close() lets running jobs finish; those still running near the
    // deadline are handed back, to be retried with the same event id.
    {
      name: 'workers',
      run: () => {
        running.stopTakingWork();
        return closeWorkers(config, logger, running);
      },
    },
    { name: 'digest sweep', run: () => running.sweep.close() },
    {
      name: 'queues',
      run: () => Promise.all([queues.webhook.close(), queues.email.close()]),
    },
    { name: 'mail', run: () => running.sender.close() },
    {
      name: 'redis',
      run: () => Promise.all([quit(redis), quit(connection)]),
    },
    { name: 'ops server', run: () => running.ops.close() },
  ];
}

async function closeWorkers(
  config: Config,
  logger: Logger,
  running: Pick<Running, 'workers' | 'handBack'>,
) {
  const afterMs = handBackAfter(config.shutdownTimeoutMs);
  const disarm = running.handBack.armDeadline(afterMs);
  try {
    const waitMs = closeWaitMs(config.shutdownTimeoutMs);
    await Promise.all(
      running.workers.map((w) => closeWorker(w, waitMs, logger)),
    );
  } finally {
    disarm();
  }
  if (running.handBack.signal.aborted) {
    logger.warn({ afterMs }, 'running jobs handed back');
  }
}

/** How long a QUIT may wait for Redis's reply before the line is cut. */
const QUIT_WAIT_MS = 1_000;

/**
 * Says goodbye to Redis so replies still on their way arrive, but drops
 * the connection when Redis does not answer: a stalled Redis would hold
 * QUIT, and the drain with it, until the shutdown deadline.
 */
async function quit(redis: Redis) {
  if (redis.status === 'end') return;
  const cut = setTimeout(() => redis.disconnect(), QUIT_WAIT_MS);
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(cut);
  }
}
