import { UPLOAD_ERROR_CODES } from '@ingest/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MadeRendition } from './rendition-maker';
import type { Outcome } from './transcode-processor';

/** The transcoder's own metrics; labels are bounded (format, outcome). */
export function transcodeMetrics(registry: Registry) {
  const duration = new Histogram({
    name: 'ingest_transcode_duration_seconds',
    help: 'Wall time of an upload\'s transcode run (one ffmpeg makes all its formats), '
      + 'observed once for each format the run made',
    labelNames: ['format'] as const,
    buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 180, 600],
    registers: [registry],
  });
  const realtime = new Histogram({
    name: 'ingest_transcode_realtime_factor',
    help: 'Seconds of audio made per second of transcoding, by format',
    labelNames: ['format'] as const,
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [registry],
  });
  const written = new Counter({
    name: 'ingest_bytes_written_total',
    help: 'Bytes of renditions written to storage',
    labelNames: ['format'] as const,
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'ingest_transcode_outcomes_total',
    help: 'Transcode runs by outcome, and errored uploads by reason code',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  // Each series from 0 at start (codes come from one registry, so they
  // stay bounded): one born at its first count starts at 1, which
  // increase() and rate() do not count, and the failure ratio alert
  // would miss the first error of each code after every start.
  for (const outcome of ['published', 'skipped']) {
    outcomes.inc({ outcome, code: '' }, 0);
  }
  for (const code of UPLOAD_ERROR_CODES) {
    outcomes.inc({ outcome: 'errored', code }, 0);
  }

  // See StorageWait: runs put back while the store is away.
  const storage = {
    putBacks: new Counter({
      name: 'ingest_transcode_storage_put_backs_total',
      help: 'Runs put back, not counted as attempts, as storage was unreachable',
      registers: [registry],
    }),
    storageUp: new Gauge({
      name: 'ingest_transcoder_storage_up',
      help: '1 while the transcoder takes jobs, 0 while it waits for storage',
      registers: [registry],
    }),
  };

  return {
    storage,
    rendition(made: MadeRendition, seconds: number) {
      duration.observe({ format: made.format }, seconds);
      if (seconds > 0) {
        realtime.observe({ format: made.format }, made.duration / seconds);
      }
      written.inc({ format: made.format }, made.bytes);
    },
    outcome(result: Outcome) {
      const code = result.outcome === 'errored' ? result.code : '';
      outcomes.inc({ outcome: result.outcome, code });
    },
  };
}
