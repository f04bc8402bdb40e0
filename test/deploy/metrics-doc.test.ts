// docs/operations.md lists the metrics operators build dashboards and
// alerts on. Each metric the services register is held to that list:
// its name with its labels as the page writes them (`name{a,b}`), and
// every `outcome` a series starts with, so a new metric, label or
// outcome is not left for operators to find in /metrics.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { httpMetrics } from '@ingest/gateway/src/http/http-metrics';
import { uploadMetrics } from '@ingest/gateway/src/uploads/upload-metrics';
import { createNotifierMetrics } from '@ingest/notifier/src/notifier-metrics';
import { countWorkerJobs, registerQueueDepth, WATCHED_STATES } from '@ingest/queue';
import { transcodeMetrics } from '@ingest/transcoder/src/transcode-metrics';
import type { Worker } from 'bullmq';
import { Registry, type Metric } from 'prom-client';
import { readText, sourceTexts } from './repo-files';

/** The page's list of metrics: its `GET /metrics` item. */
function metricsList(): string {
  const doc = readText('docs/operations.md');
  const from = doc.indexOf('- `GET /metrics`:');
  assert.ok(from >= 0, 'docs/operations.md has its GET /metrics item');
  return doc.slice(from, doc.indexOf('\n### ', from));
}

/** The `ingest_…` metric names the services' and packages' code declares. */
function declaredNames(): string[] {
  const names = sourceTexts().flatMap(({ text }) =>
    [...text.matchAll(/\bname: '(ingest_[a-z0-9_]+)'/g)].map((m) => m[1]),
  );
  return [...new Set(names)].sort();
}

/** Every metric the three services register, as a fresh start has it. */
async function registered() {
  const registry = new Registry();
  httpMetrics(registry);
  uploadMetrics(registry);
  transcodeMetrics(registry);
  createNotifierMetrics(registry);
  registerQueueDepth(registry, []);
  // Only its `name` and `on` are read to register the counter.
  const worker = Object.assign(new EventEmitter(), { name: 'transcode' });
  countWorkerJobs(registry, worker as unknown as Worker);
  return registry
    .getMetricsAsArray()
    .map(({ name }) => registry.getSingleMetric(name) as Metric);
}

test('docs/operations.md lists every metric with its labels and outcomes', async () => {
  const list = metricsList();
  const metrics = await registered();
  // A metric declared in a file this test does not open would go unseen.
  const seen = metrics.map((m) => (m as unknown as { name: string }).name);
  assert.deepEqual([...seen].sort(), declaredNames());

  for (const metric of metrics) {
    // prom-client keeps the names it was given; its types leave them out.
    const { name, labelNames = [] } = metric as unknown as {
      name: string;
      labelNames?: string[];
    };
    const written = labelNames.length
      ? `\`${name}{${labelNames.join(',')}}\``
      : `\`${name}\``;
    assert.ok(list.includes(written), `the list names ${written}`);

    const { values } = await metric.get();
    const outcomes = new Set(values.map((v) => v.labels.outcome).filter(Boolean));
    for (const outcome of outcomes) {
      assert.ok(list.includes(`\`${outcome}\``), `${name}: outcome ${outcome}`);
    }
  }
  // Read from Redis at each scrape, so no series to look at here.
  for (const state of WATCHED_STATES) {
    assert.ok(list.includes(`\`${state}\``), `ingest_queue_jobs: state ${state}`);
  }
});
