import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRedis } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import type { Redis } from 'ioredis';
import { freePort } from './free-port';
import { RedisServer } from './redis-server';
import { ServiceProcess, type ServiceName } from './service-process';
import { waitUntil } from './wait-until';

/**
 * How long a stop of one of the stack's processes may take before it is
 * killed and the test fails: past the services' own shutdown deadline
 * (INGEST_SHUTDOWN_TIMEOUT, 30 s by default), so only a hang hits it.
 */
const STOP_TIMEOUT_MS = 60_000;

/** Stacks started and not yet closed, by this process. */
const openStacks = new Set<TestStack>();

/**
 * node --test ends a file that runs past its timeout with SIGTERM, which
 * skips every `after`: the stacks' processes are killed here instead of
 * being left running, then the signal does what it would have done.
 */
function killOpenStacksOnSignal() {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    if (process.listeners(signal).includes(onSignal)) continue;
    process.once(signal, onSignal);
  }
}

function onSignal(signal: NodeJS.Signals) {
  for (const stack of openStacks) stack.killNow();
  process.kill(process.pid, signal);
}

export interface TestStackOptions {
  /** Extra environment for every service. */
  env?: Record<string, string>;
  transcoders?: number;
  /**
   * Each service gets its own INGEST_DATA_DIR (under the stack's), as on
   * separate machines: they then share only Redis and STORAGE_URL.
   */
  perServiceDataDirs?: boolean;
  /** Redis's data directory (e.g. on a small disk); a fresh temp dir by default. */
  redisDir?: string;
}

export interface TestSite {
  id: number;
  token: string;
  secret: string;
}

/**
 * The three services as real processes against a private Redis and a
 * temp data folder: what end-to-end tests run against.
 */
export class TestStack {
  readonly services: ServiceProcess[] = [];
  readonly redis: Redis;
  readonly store: StateStore;
  gatewayUrl: string;

  private constructor(
    readonly redisServer: RedisServer,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly perServiceDataDirs = false,
  ) {
    this.gatewayUrl = env.INGEST_PUBLIC_URL;
    this.redis = createRedis(redisServer.url);
    // Fault tests stop Redis on purpose; the client reconnects by itself.
    this.redis.on('error', () => {});
    this.store = new StateStore(this.redis);
  }

  static async start(options: TestStackOptions = {}): Promise<TestStack> {
    const redisServer = await RedisServer.start({
      stopTimeoutMs: STOP_TIMEOUT_MS,
      dir: options.redisDir,
    });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-stack-'));
    const gatewayPort = await freePort();
    const env = {
      PORT: String(gatewayPort),
      INGEST_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
      REDIS_URL: redisServer.url,
      INGEST_DATA_DIR: dataDir,
      INGEST_ALLOW_PRIVATE_URLS: '1',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TRANSCODER_CONCURRENCY: '2',
      ...options.env,
    };
    const stack = new TestStack(
      redisServer,
      dataDir,
      env,
      options.perServiceDataDirs,
    );
    openStacks.add(stack);
    killOpenStacksOnSignal();
    try {
      await stack.startService('notifier');
      for (let i = 0; i < (options.transcoders ?? 1); i++) {
        await stack.startService('transcoder');
      }
      await stack.startService('gateway', gatewayPort);
    } catch (err) {
      await stack.close();
      throw err;
    }
    return stack;
  }

  /** Starts one more service; `env` adds to or overrides the stack's. */
  async startService(
    name: ServiceName,
    port?: number,
    env: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    port ??= await freePort();
    const portVar = {
      gateway: 'PORT',
      transcoder: 'TRANSCODER_PORT',
      notifier: 'NOTIFIER_PORT',
    }[name];
    const own: Record<string, string> = {};
    if (this.perServiceDataDirs) {
      own.INGEST_DATA_DIR = path.join(
        this.dataDir,
        `${name}-${this.services.length}`,
      );
      await mkdir(own.INGEST_DATA_DIR);
    }
    const service = await ServiceProcess.start(name, {
      env: { ...this.env, ...own, ...env, [portVar]: String(port) },
      port,
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    this.services.push(service);
    return service;
  }

  async createSite(contactEmail?: string): Promise<TestSite> {
    const token = randomBytes(18).toString('base64url');
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const site = await this.store.createSite({
      name: 'test',
      token,
      webhookSecret: secret,
      contactEmail,
      customFields: ['External ID'],
    });
    return { id: site.id, token, secret };
  }

  /** Calls an API endpoint with a JSON body; returns status and body. */
  async call(
    endpoint: string,
    token: string,
    params: Record<string, unknown> = {},
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.gatewayUrl}${endpoint}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(params),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Polls checkJob until the job is complete. */
  async waitForJob(token: string, jobId: number, timeoutMs = 120_000) {
    let last: unknown;
    return waitUntil(
      async () => {
        const { body } = await this.call('/api/import/checkJob', token, {
          job_id: jobId,
        });
        last = body;
        return body.state === 'complete' && body;
      },
      {
        timeoutMs,
        message: () => `job ${jobId} not complete: ${JSON.stringify(last)}`,
      },
    );
  }

  /** Everything the services printed, for failure messages. */
  get logs(): string {
    return this.services.map((s) => `--- ${s.name}\n${s.logs}`).join('\n');
  }

  /** Kills every process of the stack at once, synchronously. */
  killNow(): void {
    for (const service of this.services) service.child.kill('SIGKILL');
    this.redisServer.killNow();
  }

  async close(): Promise<void> {
    openStacks.delete(this);
    const stops = await Promise.allSettled(
      this.services.map((s) => s.stop('SIGTERM')),
    );
    this.redis.disconnect();
    await this.redisServer.close();
    await rm(this.dataDir, { recursive: true, force: true });
    const failed = stops.find((stop) => stop.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
