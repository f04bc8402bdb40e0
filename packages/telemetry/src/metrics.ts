import { collectDefaultMetrics, Registry } from 'prom-client';

/** A fresh registry with the process metrics, all named `ingest_…`. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'ingest_' });
  return registry;
}
