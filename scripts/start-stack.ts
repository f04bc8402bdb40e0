/**
 * `npm start`: the whole stack on one machine. Starts a private
 * redis-server under INGEST_DATA_DIR unless REDIS_URL is set, runs
 * gateway, transcoder and notifier as child processes until SIGTERM /
 * Ctrl-C, and makes the default site once they started (or finds the one
 * kept in the data dir, dev-site.ts). One of them that exits on its own is
 * started again after a backoff (stack-supervisor.ts).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, prepareDataDir } from '@ingest/telemetry';
import { assertDevSettingsCurrent, ensureDevSite } from './dev-site';
import { devSiteFile } from './dev-site-file';
import { assertPortsFree } from './stack-ports';
import { refusalLine, scriptConfig } from './script-refusal';
import {
  assertRedisAnswers,
  assertRedisServerFound,
  redisUrlFile,
} from './stack-redis';
import { claimDataDir, dataDirHeld, releaseDataDir } from './stack-lock';
import { removeFreshDataDir } from './stack-fresh-data-dir';
import { assertNoLeftoverRedis, withLeftoversNamed } from './stack-leftovers';
import { stoppingLine, workInFlight } from './stack-stop-notice';
import { Supervisor, type Supervised } from './stack-supervisor';
import {
  ChildStartError,
  RedisServer,
  ServiceProcess,
  freePort,
  reachableHost,
  type ServiceName,
} from '@ingest/testkit';

// A development stack: sources and webhooks on this machine are allowed,
// so it listens on loopback only unless HOST says otherwise.
const env = {
  INGEST_ALLOW_PRIVATE_URLS: '1',
  HOST: '127.0.0.1',
  ...process.env,
};
// Port 0 listens where the system picks: the start then waited 30 s for
// /readyz on port 0 and said the service was not ready.
const config = scriptConfig(env, { fixedPortsFor: 'npm start' });
const logger = createLogger('stack', config.logLevel);

/**
 * The host the banner's URLs name: `localhost` while the stack listens
 * on loopback or everywhere, else the one address it listens on.
 */
const bannerHost = ['127.0.0.1', '0.0.0.0', '::'].includes(config.host)
  ? 'localhost'
  : reachableHost(config.host);

/** How long a service may take to answer /readyz at start, ms. */
const READY_TIMEOUT_MS = 30_000;

let redisServer: RedisServer | undefined;
let redisStarting: Promise<RedisServer> | undefined;
/** Whether this start holds the data dir (its own Redis runs there). */
let claimed = false;
/** The data dir made and claimed; a stop waits for it (prepareAndClaim). */
let preparing: Promise<void> | undefined;
/** The first folder of the data dir's path this start made, if any. */
let madeDataDir: string | undefined;
/** Whether the default site is being found or made: the data dir is in use. */
let siteBegun = false;
/** The running process of each service; a restart replaces its entry. */
const services = new Map<ServiceName, ServiceProcess>();
const supervisor = new Supervisor((line) => {
  process.stdout.write(`${line}\n`);
});

async function start() {
  preparing = prepareAndClaim();
  await preparing;
  if (stopping) return;
  await startProcesses();
}

/**
 * Makes the data dir and, for a Redis of its own, claims it. A stop
 * waits for this step: cut short, it left the claim (`stack.pid`) or a
 * write check behind in a data dir it had just made.
 */
async function prepareAndClaim() {
  // A data dir that is a file, or one this process may not write in, is
  // a refusal in one line, as each service would tell it; the claim
  // below failed on it with a stack trace.
  madeDataDir = await prepareDataDir(config.dataDir);
  if (!config.redisUrlGiven) {
    await assertRedisServerFound();
    await claimDataDir(config.dataDir);
    // Refused here, the claim goes but redis.url stays: it still names
    // the Redis that runs.
    await assertNoLeftoverRedis(config.dataDir).catch(async (err) => {
      await releaseDataDir(config.dataDir);
      throw err;
    });
    claimed = true;
  } else if (!(await dataDirHeld(config.dataDir))) {
    // A redis.url left by a start that was killed names a Redis this
    // stack does not use: `site:create` without REDIS_URL went there.
    await rm(redisUrlFile(config.dataDir), { force: true });
  }
}

/** Redis (unless REDIS_URL is given), the services, the default site. */
async function startProcesses() {
  let redisUrl = config.redisUrl;
  // After the data dir's checks: the services of a start that was killed
  // outright still hold its ports, and the line naming them and the kill
  // to send says more than `port in use` (as a live start's claim does).
  await assertPortsFree(config.host, {
    PORT: config.port,
    // The gateway's second port: taken, or another service's, the gateway
    // failed its start with a line of its own beside npm start's.
    ...(config.gatewayOpsPort === undefined
      ? {}
      : { GATEWAY_OPS_PORT: config.gatewayOpsPort }),
    TRANSCODER_PORT: config.transcoderPort,
    NOTIFIER_PORT: config.notifierPort,
  }).catch(async (err) => {
    throw await withLeftoversNamed(config.dataDir, err);
  });
  if (config.redisUrlGiven) await assertRedisAnswers(config.redisUrl);
  if (!config.redisUrlGiven) {
    const dir = path.join(config.dataDir, 'redis');
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    if (stopping) return;
    // Held while it starts: a Ctrl-C then waits for it, so as to stop
    // it too rather than leave it running after this process ends.
    redisStarting = RedisServer.start({ dir, port, detached: true });
    redisServer = await redisStarting;
    if (stopping) return;
    redisUrl = redisServer.url;
    logger.info({ dir, port: redisServer.port }, 'redis started');
    keepRedis(redisServer);
    // Operator scripts (npm run site:create) find this Redis here.
    await writeFile(redisUrlFile(config.dataDir), redisUrl + '\n');
  }

  // Before any service runs: a refused start leaves nothing running.
  await assertDevSettingsCurrent(config, redisUrl);
  if (stopping) return;

  const childEnv = {
    ...env,
    REDIS_URL: redisUrl,
    INGEST_DATA_DIR: config.dataDir,
  };
  const ports: Record<ServiceName, number> = {
    gateway: config.port,
    transcoder: config.transcoderPort,
    notifier: config.notifierPort,
  };
  for (const name of ['transcoder', 'notifier', 'gateway'] as const) {
    if (stopping) return;
    const options = {
      env: childEnv,
      port: ports[name],
      host: config.host,
      stdio: 'inherit',
      detached: true,
    } as const;
    // Known while it starts: a Ctrl-C then stops it before Redis, as it
    // does the others. Found only once ready, it was left running, its
    // Redis gone ("redis connection lost"), after npm start had ended.
    const service = await ServiceProcess.spawn(name, options);
    services.set(name, service);
    await service.waitReady(READY_TIMEOUT_MS).catch((err) => {
      service.child.kill('SIGKILL');
      throw err;
    });
    supervisor.keep(name, supervised(service), async () => {
      const next = await ServiceProcess.spawn(name, options);
      services.set(name, next);
      return supervised(next);
    });
  }
  if (stopping) return;
  // Once they started: a start they refuse (the store another catalog's)
  // leaves a Redis given in REDIS_URL without a site of this start's.
  siteBegun = true;
  const site = await ensureDevSite(config, redisUrl);
  if (stopping) return;

  const url = `http://${bannerHost}:${config.port}`;
  if (site.stale) {
    process.stdout.write(
      `${devSiteFile(config.dataDir)} named site ${site.stale.siteId}, which no ` +
        'longer answers to its token (rotated with site:rotate, or its Redis ' +
        `emptied): made site ${site.siteId} and kept it there instead\n`,
    );
  }
  if (site.unusable) {
    process.stdout.write(
      `${devSiteFile(config.dataDir)} named no site (${site.unusable}; moved ` +
        `to ${site.setAside}): made site ${site.siteId} and kept it there instead\n`,
    );
  }
  process.stdout.write(
    [
      '',
      'catalog-ingest is running',
      `  API:            ${url}/api/import/…`,
      ...(config.gatewayOpsPort === undefined
        ? []
        : [`  ops port:       http://${bannerHost}:${config.gatewayOpsPort}`]),
      `  redis:          ${redisUrl}`,
      `  site id:        ${site.siteId}`,
      `  token:          ${site.token}`,
      `  webhook secret: ${site.webhookSecret}`,
      ...(config.dev.token
        ? []
        : [`  site kept in:   ${devSiteFile(config.dataDir)}`]),
      `  data:           ${config.dataDir}`,
      `  email outbox:   ${config.smtpUrl ? '(SMTP)' : path.join(config.dataDir, 'outbox')}`,
      '  For the ingest CLI and the SDK\'s examples:',
      `  export INGEST_URL=${url} INGEST_TOKEN=${site.token}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );
}

/** A service as the supervisor follows it. */
function supervised(service: ServiceProcess): Supervised {
  const { child } = service;
  return {
    pid: child.pid,
    exited: service.exited.then((code) => ({ code, signal: child.signalCode })),
  };
}

/** The Redis npm start runs comes back on the same port and data dir. */
function keepRedis(redis: RedisServer) {
  const follow = (): Supervised => ({ pid: redis.pid, exited: redis.exited });
  supervisor.keep('redis-server', follow(), async () => {
    await redis.resume();
    return follow();
  });
}

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await preparing?.catch(() => {});
  await supervisor.stop();
  await tellWorkInFlight();
  // Reverse order: stop taking uploads first, stop Redis last.
  for (const service of [...services.values()].reverse()) {
    // One that died and waits for its restart says nothing of this stop.
    const { child } = service;
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exit = await service.stop('SIGTERM');
    // One still loading ends by the signal itself, before it has a
    // handler for it: stopped as asked all the same.
    if (exit !== 0 && child.signalCode !== 'SIGTERM') code = code || 1;
  }
  const redis = redisServer ?? (await redisStarting?.catch(() => undefined));
  await redis?.stop('SIGTERM');
  if (claimed) {
    // Left behind, it sent `npm run site:create` to the stopped Redis's
    // port, which another Redis may hold by then.
    await rm(redisUrlFile(config.dataDir), { force: true }).catch(() => {});
    await releaseDataDir(config.dataDir).catch(() => {});
  }
  // Refused (a port in use, a service not ready) or stopped before it
  // made its site, a first start removes the data dir it made: left
  // half-made, it held an empty Redis. Kept once its services ran with a
  // REDIS_URL or STORAGE_URL of the user's: that Redis or store keeps a
  // mark of this one, and the next start would miss it here.
  const selfContained =
    !config.redisUrlGiven &&
    config.storageUrl === `file://${path.join(config.dataDir, 'storage')}`;
  if (madeDataDir && !siteBegun && (services.size === 0 || selfContained)) {
    await removeFreshDataDir(config.dataDir, madeDataDir).catch(() => {});
  }
  process.exit(code);
}

/**
 * One plain line saying what the stop waits for, and how long at most,
 * when the running gateway tells of work in flight.
 */
async function tellWorkInFlight() {
  const gateway = services.get('gateway');
  const { child } = gateway ?? {};
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const port = config.gatewayOpsPort ?? config.port;
  const work = await workInFlight(`http://${reachableHost(config.host)}:${port}/metrics`);
  const line = work && stoppingLine(work, config.shutdownTimeoutMs);
  if (line) process.stderr.write(`${line}\n`);
}

// The children run in process groups of their own, so a terminal's
// Ctrl-C reaches only this process, which stops them in order: the
// gateway first, Redis last. Should this process end another way, they
// are not left behind (kill is synchronous, so it may run on exit).
// A signal may come twice (a terminal's Ctrl-C reaches npm and this
// process, and npm passes it on again): later ones are ignored, since the
// default action would end this process before it stopped the others.
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// `npm start | tee log`: Ctrl-C ends the reader too, and writing to its
// pipe must not end this process halfway through stopping the stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', () => {});
}
process.on('exit', () => {
  for (const service of services.values()) service.child.kill('SIGKILL');
  redisServer?.killNow();
});

start().catch(async (err) => {
  // A stop under way (Ctrl-C during start-up) ended what failed here.
  if (stopping) return;
  // A refusal (a busy port, a data dir in use…) says what to do in one
  // line, and so does a process that did not start (redis-server exited,
  // a service not ready in time): what failed and where; a service's own
  // lines, printed before, say why. The stack of anything else is kept
  // for whoever debugs it.
  const refusal =
    err instanceof ChildStartError ? err.summary : refusalLine(err);
  if (refusal === undefined) logger.fatal({ err }, 'stack could not start');
  else process.stderr.write(`${refusal}\n`);
  await stop(1);
});
