/**
 * One upload followed through the logs of all three services, as an
 * operator would: from the gateway's line for the upload call, by its
 * request id and upload id, to the transcoder's lines, and by the job id
 * and the publish call's request id to the notifier's. No line shows the
 * token, the webhook secret or the webhook URL's query.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type ServiceName,
} from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 't.wav'), { seconds: 1 }),
    env: { LOG_LEVEL: 'info' },
  });
});

after(() => fixture?.close());

type Line = Record<string, any>;

function linesOf(name: ServiceName): Line[] {
  const service = fixture.stack.services.find((s) => s.name === name);
  assert.ok(service, name);
  return service.logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function call(endpoint: string, requestId: string, params: object) {
  const res = await fetch(`${fixture.stack.gatewayUrl}${endpoint}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${fixture.site.token}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function lineOf(name: ServiceName, match: (l: Line) => boolean) {
  return waitUntil(() => linesOf(name).find(match), {
    timeoutMs: 30_000,
    message: () => `no such ${name} line in:\n${fixture.stack.logs}`,
  });
}

test('an upload is followed from its call to its webhook by ids', async () => {
  const { files, site } = fixture;
  const hooks = await webhookReceiver(site.secret);
  try {
    const upload = await call('/api/import/upload', 'trail-upload', {
      url: `${files.url}/t.wav`,
    });
    assert.equal(upload.status, 200);
    const uploadId = upload.body.upload_id as number;
    const refused = await call('/api/import/upload', 'trail-missing', {
      url: `${files.url}/gone.wav`,
    });
    assert.equal(refused.status, 422);
    const publish = await call('/api/import/publish', 'trail-publish', {
      oncomplete: `${hooks.url}/hook?sig=trail-query-secret`,
    });
    const jobId = publish.body.job_id as number;
    await fixture.stack.waitForJob(site.token, jobId);
    await hooks.waitFor(1);

    // The gateway: one line per call, with what its answer named.
    const accepted = await lineOf('gateway', (l) => l.requestId === 'trail-upload');
    assert.equal(accepted.msg, 'call answered');
    assert.equal(accepted.call, 'POST /api/import/upload');
    assert.equal(accepted.status, 200);
    assert.equal(accepted.uploadId, uploadId);
    assert.equal(accepted.siteId, site.id);
    assert.equal(typeof accepted.durationMs, 'number');
    const missing = await lineOf('gateway', (l) => l.requestId === 'trail-missing');
    assert.equal(missing.status, 422);
    assert.equal(missing.code, 'fetch_failed');
    const published = await lineOf('gateway', (l) => l.requestId === 'trail-publish');
    assert.equal(published.jobId, jobId);
    // A token in the query string stays out of the line as well.
    const query = new URLSearchParams({ token: site.token, job_id: String(jobId) });
    const checked = await fetch(
      `${fixture.stack.gatewayUrl}/api/import/checkJob?${query}`,
      { headers: { 'x-request-id': 'trail-query' } },
    );
    assert.equal(checked.status, 200);
    const checkLine = await lineOf('gateway', (l) => l.requestId === 'trail-query');
    assert.equal(checkLine.call, 'GET /api/import/checkJob');

    // The transcoder: the upload's run, with its job and the publish's id.
    const done = await lineOf(
      'transcoder',
      (l) => l.msg === 'transcode completed' && l.uploadId === uploadId,
    );
    assert.equal(done.jobId, jobId);
    assert.equal(done.requestId, 'trail-publish');

    // The notifier: the job's completion and its webhook, same request id.
    const queued = await lineOf(
      'notifier',
      (l) => l.msg === 'deliveries queued' && l.jobId === jobId,
    );
    assert.equal(queued.requestId, 'trail-publish');
    const delivered = await lineOf(
      'notifier',
      (l) => l.msg === 'delivered' && l.jobId === jobId,
    );
    assert.equal(delivered.requestId, 'trail-publish');
    assert.equal(delivered.eventId, hooks.received[0].id);
  } finally {
    await hooks.close();
  }

  const all = fixture.stack.logs;
  for (const secret of [site.token, site.secret, 'trail-query-secret']) {
    assert.ok(!all.includes(secret), `a log line shows ${secret}`);
  }
});
