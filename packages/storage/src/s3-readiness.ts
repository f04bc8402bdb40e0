import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { s3Outage, s3Status } from './s3-errors';
import type { Readiness } from './storage';

/** How long a readiness check waits for the store's answer. */
export const S3_READY_TIMEOUT_MS = 3_000;

/**
 * Reads one byte of an object that need not exist. Its absence (404
 * NoSuchKey) is an answer: the store is up and the bucket is ours. A
 * missing bucket, refused credentials (403), a 5xx or no answer within
 * 3 s is not ready, with the reason. A GET rather than a HEAD, since
 * only an error body tells a missing key from a missing bucket.
 */
export async function s3Readiness(
  client: S3Client,
  target: { Bucket: string; Key: string },
): Promise<Readiness> {
  try {
    const answer = await client.send(
      new GetObjectCommand({ ...target, Range: 'bytes=0-0' }),
      { abortSignal: AbortSignal.timeout(S3_READY_TIMEOUT_MS) },
    );
    (answer.Body as Readable | undefined)?.destroy();
    return { ready: true };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'NoSuchKey') return { ready: true };
    if (name === 'NoSuchBucket') {
      return {
        ready: false,
        reason: `storage: bucket ${target.Bucket} does not exist`,
      };
    }
    if (name === 'AbortError' || name === 'TimeoutError') {
      return {
        ready: false,
        reason: `storage unreachable: no answer within ${S3_READY_TIMEOUT_MS} ms`,
      };
    }
    const status = s3Status(err);
    const reason =
      s3Outage(err) ??
      (status === undefined
        ? `storage failed: ${(err as Error).message || name}`
        : `storage answered ${status} ${name}`);
    // Another 404 (a server that names no code) still means it answers.
    return status === 404 ? { ready: true } : { ready: false, reason };
  }
}
