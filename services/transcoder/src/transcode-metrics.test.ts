import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UPLOAD_ERROR_CODES } from '@ingest/core';
import { createRegistry } from '@ingest/telemetry';
import { transcodeMetrics } from './transcode-metrics';

// The failure ratio alert takes rate() of these counters; a series born
// at its first count starts at 1, which rate() never counts.
test('each outcome and error code is exported at 0 from the start', async () => {
  const registry = createRegistry('transcoder');
  const metrics = transcodeMetrics(registry);
  const lines = (await registry.metrics()).split('\n');
  const valueOf = (outcome: string, code: string) =>
    lines
      .find((l) =>
        l.startsWith(`ingest_transcode_outcomes_total{outcome="${outcome}",code="${code}"`),
      )
      ?.split(' ')
      .pop();

  assert.equal(valueOf('published', ''), '0');
  assert.equal(valueOf('skipped', ''), '0');
  for (const code of UPLOAD_ERROR_CODES) {
    assert.equal(valueOf('errored', code), '0', code);
  }

  metrics.outcome({ outcome: 'errored', code: 'truncated' });
  const after = (await registry.metrics()).split('\n');
  assert.ok(
    after.some((l) =>
      /^ingest_transcode_outcomes_total\{outcome="errored",code="truncated".* 1$/.test(l),
    ),
  );
});
