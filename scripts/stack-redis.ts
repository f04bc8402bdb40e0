import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@ingest/config';
import { createRedis, redisAnswers } from '@ingest/queue';
import type { Redis } from 'ioredis';
import { ScriptRefusal } from './script-refusal';

/** How long an operator script waits for a Redis that does not answer. */
const REDIS_WAIT_MS = 5_000;

/** Where `npm start` notes the URL of the Redis it started. */
export function redisUrlFile(dataDir: string): string {
  return path.join(dataDir, 'redis.url');
}

/**
 * The Redis an operator script should use: REDIS_URL when given, else
 * the one a running `npm start` noted under INGEST_DATA_DIR.
 */
export async function stackRedisUrl(config: Config): Promise<string> {
  if (config.redisUrlGiven) return config.redisUrl;
  const file = redisUrlFile(config.dataDir);
  try {
    const noted = await readFile(file, 'utf8');
    return noted.trim();
  } catch {
    // A stack started with INGEST_DATA_DIR set notes its Redis there,
    // not under the ./var this script looks in without it.
    throw new ScriptRefusal(
      `no Redis to use: REDIS_URL is not set and there is no ${file}. ` +
        'If npm start runs, set INGEST_DATA_DIR to the data dir it was ' +
        'started with (the "data:" line of its banner), or set REDIS_URL (the ' +
        'one it was given, if it was: such a start notes none, its banner\'s ' +
        '"redis:" line); otherwise start the stack with npm start',
    );
  }
}

/** Refuses a start that would need redis-server without one on PATH. */
export async function assertRedisServerFound(): Promise<void> {
  const missing = await new Promise<boolean>((resolve) => {
    execFile('redis-server', ['--version'], (err) => {
      resolve((err as NodeJS.ErrnoException | null)?.code === 'ENOENT');
    });
  });
  if (!missing) return;
  throw new ScriptRefusal(
    'redis-server is not on the PATH: install it (apt-get install ' +
      'redis-server), or set REDIS_URL to a Redis of your own',
  );
}

/**
 * A connection to the Redis an operator script should use (see
 * stackRedisUrl), or a refusal saying why none answers and what to set.
 */
export async function openScriptRedis(config: Config): Promise<Redis> {
  const url = await stackRedisUrl(config);
  const redis = createRedis(url);
  if (await redisAnswers(redis, REDIS_WAIT_MS)) return redis;
  redis.disconnect();
  throw new ScriptRefusal(silentRedis(config, url));
}

/** Why nothing was done, when the Redis to use does not answer. */
function silentRedis(config: Config, url: string): string {
  const said =
    `no Redis answers at ${withoutCredentials(url)} within ` +
    `${REDIS_WAIT_MS / 1000} s`;
  if (config.redisUrlGiven) {
    return `${said} (REDIS_URL): is npm start running? Or set REDIS_URL`;
  }
  // A stopped `npm start` leaves its redis.url behind; one that runs now
  // may have been started with another INGEST_DATA_DIR.
  return (
    `${said} (from ${redisUrlFile(config.dataDir)}, left by an npm start ` +
    'that has stopped?): if npm start runs, set INGEST_DATA_DIR to the ' +
    'data dir it was started with (the "data:" line of its banner), or ' +
    'set REDIS_URL'
  );
}

/**
 * Refuses a start whose REDIS_URL does not answer. The services each
 * wait for their Redis, so `npm start` told only that the transcoder was
 * not ready in 30 s, naming the transcoder's own port as refused.
 */
export async function assertRedisAnswers(url: string, timeoutMs = REDIS_WAIT_MS): Promise<void> {
  const redis = createRedis(url);
  let lastError: string | undefined;
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  try {
    if (await redisAnswers(redis, timeoutMs)) return;
  } finally {
    redis.disconnect();
  }
  throw new ScriptRefusal(
    `REDIS_URL ${withoutCredentials(url)} does not answer within ` +
      `${timeoutMs / 1000} s (${lastError ?? 'no PONG'}): start that Redis ` +
      'or correct the URL, or leave REDIS_URL unset and npm start runs ' +
      'its own',
  );
}

/** A URL as a refusal may show it: no password, which it may hold. */
function withoutCredentials(url: string): string {
  try {
    const shown = new URL(url);
    shown.username = '';
    shown.password = '';
    return shown.toString();
  } catch {
    return '(not a URL)';
  }
}
