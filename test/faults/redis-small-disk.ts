/**
 * The fixture of the Redis disk faults: a Redis whose append-only file
 * is on a tmpfs of its own (8 MiB, to fill), and a gateway on it. Only
 * root may mount a tmpfs: elsewhere there is no fixture, and the tests
 * skip with NO_SMALL_DISK.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRedis } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { RedisServer, type ServiceProcess } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { mountSmallDisk, startGateway } from './fault-kit';

/** What a test says when it skips for want of a tmpfs. */
export const NO_SMALL_DISK = 'cannot mount a tmpfs here (needs root)';

export interface SmallDiskOptions {
  /** Names the temp folder: `ingest-fault-<name>-…`. */
  name: string;
  /**
   * More settings of the gateway, made once the folder (`dir`) is there
   * (a stand-in binary written into it, say).
   */
  gatewayEnv?: (dir: string) => Promise<Record<string, string>>;
}

/** What of a fixture runs. */
interface Running {
  redisServer?: RedisServer;
  redis?: Redis;
  gateway?: ServiceProcess;
}

export class RedisOnSmallDisk {
  private closed = false;

  private constructor(
    /** The test's temp folder: the gateway's data is in `data/`. */
    readonly dir: string,
    /** The tmpfs Redis writes to. */
    readonly disk: string,
    readonly redisServer: RedisServer,
    readonly redis: Redis,
    readonly gateway: ServiceProcess,
    /** The gateway's base URL. */
    readonly url: string,
  ) {}

  /** Started and ready; undefined where no tmpfs can be mounted. */
  static async start(options: SmallDiskOptions): Promise<RedisOnSmallDisk | undefined> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `ingest-fault-${options.name}-`));
    const disk = await mountSmallDisk(dir, '8m');
    if (!disk) {
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const running: Running = {};
    try {
      const redisServer = (running.redisServer = await RedisServer.start({ dir: disk }));
      const redis = (running.redis = createRedis(redisServer.url));
      // Refused writes and a killed Redis are what these tests are about.
      redis.on('error', () => {});
      const env = (await options.gatewayEnv?.(dir)) ?? {};
      const { gateway, url } = await startGateway(redisServer.url, dir, env);
      return new RedisOnSmallDisk(dir, disk, redisServer, redis, gateway, url);
    } catch (err) {
      await takeDown(dir, disk, running);
      throw err;
    }
  }

  /** A new site; answers its token. */
  async newSite(name: string): Promise<string> {
    const token = randomBytes(18).toString('base64url');
    await new StateStore(this.redis).createSite({
      name,
      token,
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
      customFields: [],
    });
    return token;
  }

  /** Stops what runs, unmounts the disk and removes the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await takeDown(this.dir, this.disk, this);
  }
}

async function takeDown(dir: string, disk: string, running: Running): Promise<void> {
  await running.gateway?.stop('SIGTERM');
  running.redis?.disconnect();
  await running.redisServer?.close();
  execFileSync('umount', [disk]);
  await rm(dir, { recursive: true, force: true });
}
