import { statfs } from 'node:fs/promises';
import { RetryableFault } from './rendition-maker';

const MiB = 1024 * 1024;

/** The ENOSPC an error (or one it wraps) carries, if any. */
function noSpace(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return true;
  }
  return false;
}

/**
 * What a run that failed for want of room fails with, once its own files
 * in `workDir` are gone. A full disk (something else holds the room) is
 * waited out as a store outage, the error as it is. A disk at least half
 * free ran out of room for this run alone: its renditions need more than
 * the disk holds, which no wait fixes, and each try would fill the disk
 * for every other run again. It then fails as any broken run does
 * (attempts count), saying so. A quota (EDQUOT) is not judged: the disk's
 * free room says nothing of it.
 */
export async function outOfRoomFailure(workDir: string, err: unknown): Promise<unknown> {
  if (!noSpace(err)) return err;
  const disk = await statfs(workDir).catch(() => undefined);
  if (!disk || disk.bavail * 2 < disk.blocks) return err;
  const free = Math.floor((disk.bavail * disk.bsize) / MiB);
  const size = Math.floor((disk.blocks * disk.bsize) / MiB);
  return new RetryableFault(
    err instanceof RetryableFault ? err.code : 'transcode_failed',
    `${(err as Error).message} (the work disk has ${free} of its ${size} MiB ` +
      'free without this run: its renditions need more room than the disk has)',
  );
}
