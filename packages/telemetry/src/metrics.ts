import { collectDefaultMetrics, Registry } from 'prom-client';

/** A fresh registry with the process metrics, all named `ingest_…`. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'ingest_' });
  // prom-client names three gauges `*_total`, which Prometheus reserves
  // for counters; the same numbers stay available by type without it.
  for (const kind of ['handles', 'requests', 'resources']) {
    registry.removeSingleMetric(`ingest_nodejs_active_${kind}_total`);
  }
  return registry;
}
