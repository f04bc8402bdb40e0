import { after, before } from 'node:test';
import { createRedis, type RedisRole } from '@ingest/queue';
import type { Redis } from 'ioredis';
import { RedisServer } from './redis-server';

export interface RedisForTestsOptions {
  /**
   * The kind of client `redis` is: 'worker' for one that queue workers
   * block on. Default 'command'.
   */
  role?: RedisRole;
  /**
   * What the file built on this Redis and closes before it (services,
   * queues). node:test runs `after` hooks in the order they were made,
   * so a file's own `after` would come once Redis is gone.
   */
  closeFirst?: () => Promise<unknown>;
}

export interface TestRedis {
  /** The file's own redis-server (stop and resume it at will). */
  readonly server: RedisServer;
  /** A client of it. */
  readonly redis: Redis;
  /**
   * Resolves once the server and `redis` are up. A file's own `before`
   * that uses them awaits it first: node 20 runs a file's top-level
   * `before` hooks all at once, not one after the other.
   */
  readonly started: Promise<void>;
  /**
   * Another client of it (its own connection, for WATCH or blocking
   * commands), disconnected with `redis`. Call it in a hook or a test.
   */
  client(role?: RedisRole): Redis;
}

/**
 * A test file's own redis-server on a free port and a client of it:
 * started before the file's tests, both closed after them. Call it at
 * the file's top level; read its fields inside tests and hooks.
 */
export function redisForTests(options: RedisForTestsOptions = {}): TestRedis {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  const clients: Redis[] = [];
  let settle: (err?: unknown) => void = () => {};
  const started = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  // A failed start fails this hook; unawaited, it is no further error.
  started.catch(() => {});
  before(async () => {
    try {
      server = await RedisServer.start();
      redis = createRedis(server.url, options.role);
      clients.push(redis);
      settle();
    } catch (err) {
      settle(err);
      throw err;
    }
  });
  after(async () => {
    try {
      await options.closeFirst?.();
    } finally {
      for (const client of clients) client.disconnect();
      await server?.close();
    }
  });
  const up = <T>(value: T | undefined): T => {
    if (value !== undefined) return value;
    throw new Error('redisForTests: used before it started (a before hook awaits `started`)');
  };
  return {
    started,
    get server() {
      return up(server);
    },
    get redis() {
      return up(redis);
    },
    client(role) {
      const client = createRedis(up(server).url, role);
      clients.push(client);
      return client;
    },
  };
}
