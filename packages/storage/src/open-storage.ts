import { fileURLToPath } from 'node:url';
import { ConfigError } from '@ingest/core';
import { FileStorage } from './file-storage';
import { parseS3Url } from './s3-location';
import { S3Storage } from './s3-storage';
import type { Storage } from './storage';

export interface OpenStorageOptions {
  /** Where stores that are not local put the copies ffmpeg reads. */
  workDir?: string;
}

/**
 * Opens the storage a `STORAGE_URL` names: `file:///path` or
 * `s3://bucket[/prefix]?endpoint=…&region=…&forcePathStyle=…`. S3
 * credentials are not in the URL: the AWS SDK reads them itself from
 * its usual chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * profiles, instance or pod roles), as it does `AWS_REGION`.
 */
export function openStorage(
  url: string,
  options: OpenStorageOptions = {},
): Storage {
  const parsed = readUrl(url);
  if (parsed.protocol === 'file:') return new FileStorage(filePath(parsed));
  if (parsed.protocol === 's3:') {
    return new S3Storage({
      location: parseS3Url(url),
      workDir: options.workDir,
    });
  }
  return refuse(
    `unsupported scheme ${parsed.protocol} (use file:// or s3://)`,
  );
}

function refuse(why: string): never {
  throw new ConfigError([`STORAGE_URL: ${why}`]);
}

function readUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    return refuse('not a URL');
  }
}

/** The folder of a `file://` URL; one naming another host is refused. */
function filePath(url: URL): string {
  try {
    return fileURLToPath(url);
  } catch (err) {
    return refuse((err as Error).message);
  }
}
