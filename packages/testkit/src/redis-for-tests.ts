import { after, before } from 'node:test';
import { createRedis } from '@ingest/queue';
import type { Redis } from 'ioredis';
import { RedisServer } from './redis-server';

export interface TestRedis {
  /** The file's own redis-server (stop and resume it at will). */
  readonly server: RedisServer;
  /** A client of it. */
  readonly redis: Redis;
}

/**
 * A test file's own redis-server on a free port and a client of it:
 * started before the file's tests, both closed after them. Call it at
 * the file's top level; read its fields inside tests and hooks.
 */
export function redisForTests(): TestRedis {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await RedisServer.start();
    redis = createRedis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redisForTests: used before its tests ran');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get redis() {
      return started(redis);
    },
  };
}
