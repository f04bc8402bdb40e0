import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry } from '@ingest/telemetry';
import { createNotifierMetrics } from './notifier-metrics';

// The give-up alerts take increase() of these counters over an hour. A
// series that first shows at its first count starts at 1 and increase()
// sees no rise, so each series must be there at 0 before any attempt.
test('every channel and outcome is exported at 0 before any delivery', async () => {
  const registry = createRegistry('notifier');
  createNotifierMetrics(registry);
  const text = await registry.metrics();

  for (const [channel, outcomes] of [
    ['webhook', ['delivered', 'retry', 'gave_up', 'stopped_410']],
    ['email', ['delivered', 'retry', 'gave_up']],
  ] as const) {
    for (const outcome of outcomes) {
      const series = `ingest_notifications_total{channel="${channel}",outcome="${outcome}"`;
      assert.ok(
        text.split('\n').some((l) => l.startsWith(series) && l.endsWith(' 0')),
        `${series} at 0`,
      );
    }
  }
});
