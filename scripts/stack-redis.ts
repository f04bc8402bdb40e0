import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@ingest/config';

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
  try {
    const noted = await readFile(redisUrlFile(config.dataDir), 'utf8');
    return noted.trim();
  } catch {
    throw new Error(
      `no REDIS_URL and no ${redisUrlFile(config.dataDir)}: start the ` +
        'stack with npm start, or set REDIS_URL',
    );
  }
}
