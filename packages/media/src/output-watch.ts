import { stat } from 'node:fs/promises';

/** A file a run writes, and the bytes at which the run is stopped. */
export interface OutputLimit {
  path: string;
  maxBytes: number;
}

/** How often the files' sizes are looked at, ms. */
export const OUTPUT_WATCH_MS = 200;

/**
 * ffmpeg 4.1's `-fs` holds an output only once every output of the run
 * is past its own: until then each goes on writing. So a pass whose
 * counting pipes still took audio wrote a wav of 115 MB under `-fs` of
 * 1 MB (the site's quota left) from a 106 KB FLAC of silence, and would
 * have written hours of 384 kHz 7.1 audio under a quota of a few bytes.
 * This watch looks at the files' sizes while the run goes and calls
 * `onFull` with the first that reached its limit (once); the run is
 * then stopped, its outputs over a limit by what was written meanwhile.
 * Answers a function that ends the watch.
 */
export function watchOutputs(
  limits: readonly OutputLimit[],
  onFull: (path: string) => void,
): () => void {
  if (limits.length === 0) return () => {};
  let looking = false;
  let done = false;
  const look = async () => {
    if (looking || done) return;
    looking = true;
    try {
      for (const { path, maxBytes } of limits) {
        const size = await stat(path).then((s) => s.size, () => 0);
        if (size < maxBytes || done) continue;
        done = true;
        onFull(path);
        return;
      }
    } finally {
      looking = false;
    }
  };
  const timer = setInterval(() => void look(), OUTPUT_WATCH_MS);
  return () => {
    done = true;
    clearInterval(timer);
  };
}
