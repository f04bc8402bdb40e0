/**
 * Every service's /metrics after real work: the names operators and
 * alerts rely on are there, labels stay bounded, and `promtool check
 * metrics` accepts the text.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type ServiceProcess,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let stack: TestStack;
let files: LoopbackServer;
let site: TestSite;

const EXPECTED: Record<string, string[]> = {
  gateway: [
    'ingest_http_request_duration_seconds_bucket',
    'ingest_queue_jobs',
    'ingest_bytes_fetched_total',
    'ingest_uploads_total',
    'ingest_process_resident_memory_bytes',
  ],
  transcoder: [
    'ingest_transcode_duration_seconds_bucket',
    'ingest_transcode_realtime_factor_bucket',
    'ingest_bytes_written_total',
    'ingest_transcode_outcomes_total',
    'ingest_jobs_total',
  ],
  notifier: [
    'ingest_notifications_total',
    'ingest_notification_duration_seconds_bucket',
    'ingest_jobs_total',
  ],
};

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 'm.wav'), { seconds: 2 }),
  });
  ({ files, stack, site } = fixture);
});

after(() => fixture?.close());

/**
 * A service's /metrics once every name it should have is there. The
 * last counts of a job come a moment after what the test waits for: the
 * notifier counts a webhook once its answer came and the attempt is in
 * the delivery log (a Redis write), after the receiver saw the POST.
 */
async function metricsOnceCounted(service: ServiceProcess): Promise<string> {
  let text = '';
  const missing = () =>
    EXPECTED[service.name].filter((name) => !new RegExp(`^${name}\\{`, 'm').test(text));
  await waitUntil(
    async () => {
      const res = await fetch(`http://127.0.0.1:${service.port}/metrics`);
      assert.equal(res.status, 200);
      text = await res.text();
      return missing().length === 0;
    },
    {
      timeoutMs: 30_000,
      message: () => `${service.name}: no ${missing().join(', ')} in its /metrics`,
    },
  );
  return text;
}

function promtool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool']);
  return found.status === 0 ? found.stdout.toString().trim() : undefined;
}

test('each service exposes its metrics after a job', async () => {
  const hooks = await webhookReceiver(site.secret);
  try {
    await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/m.wav`,
    });
    await stack.call('/api/import/upload', site.token, {
      url: `${files.url}/missing.wav`,
    });
    const { body } = await stack.call('/api/import/publish', site.token, {
      oncomplete: hooks.url,
    });
    await stack.waitForJob(site.token, body.job_id);
    await hooks.waitFor(1);
  } finally {
    await hooks.close();
  }

  const tool = promtool();
  for (const service of stack.services) {
    const text = await metricsOnceCounted(service);
    for (const name of EXPECTED[service.name]) {
      assert.match(text, new RegExp(`^${name}\\{`, 'm'), `${service.name}: ${name}`);
    }
    // Label values are bounded: no ids, URLs or addresses.
    assert.doesNotMatch(text, /127\.0\.0\.1|track_id|upload_id|https?:\/\//);

    if (tool) {
      const lint = execFileSync(tool, ['check', 'metrics'], {
        input: text,
        encoding: 'utf8',
      });
      assert.equal(lint.trim(), '', `${service.name}: ${lint}`);
    }
  }
  assert.ok(tool, 'promtool is needed (Debian package prometheus)');

  const gateway = await fetch(`${stack.gatewayUrl}/metrics`).then((r) => r.text());
  assert.match(gateway, /ingest_uploads_total\{outcome="refused",code="fetch_failed"/);
  assert.match(gateway, /ingest_queue_jobs\{queue="transcode",state="waiting"/);
  // The stack's readiness polls and the scrapes above are not API calls.
  assert.doesNotMatch(gateway, /route="\/(healthz|readyz|metrics)"/);
});
