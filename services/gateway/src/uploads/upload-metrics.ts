import { Counter, Gauge, type Registry } from 'prom-client';

/** What the gateway took in; labels are bounded (how, outcome, code). */
export function uploadMetrics(registry: Registry) {
  const fetched = new Counter({
    name: 'ingest_bytes_fetched_total',
    help: 'Source bytes stored by the gateway, by how they came',
    labelNames: ['via'] as const,
    registers: [registry],
  });
  const uploads = new Counter({
    name: 'ingest_uploads_total',
    help: 'Upload calls by outcome; refused ones by error code',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  // A stopping npm start tells how many it waits for (stack-stop-notice.ts).
  const inFlight = new Gauge({
    name: 'ingest_uploads_in_flight',
    help: 'Upload calls being answered: a file arriving, a URL fetched',
    registers: [registry],
  });
  return {
    /** Counts an upload call until its work, its cleanup included, ends. */
    answering(work: Promise<unknown>) {
      inFlight.inc();
      const done = () => inFlight.dec();
      work.then(done, done);
    },
    received(bytes: number, via: 'url' | 'file') {
      fetched.inc({ via }, bytes);
    },
    accepted() {
      uploads.inc({ outcome: 'accepted', code: '' });
    },
    refused(code: string) {
      uploads.inc({ outcome: 'refused', code });
    },
  };
}

export type UploadMetrics = ReturnType<typeof uploadMetrics>;
