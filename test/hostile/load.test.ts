/**
 * Load: 20 clients (one site each) upload 50 short real tracks each and
 * publish, against 2 transcoders. Every job completes, every webhook
 * arrives once, and the memory of Redis and of the gateway stays
 * bounded. Heavy, so it runs only with INGEST_LOAD_TEST=1
 * (`npm run test:load`); figures go to docs/reliability.md (Load).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TestStack,
  makeTone,
  webhookReceiver,
  type TestSite,
  type WebhookReceiver,
} from '@ingest/testkit';

const CLIENTS = 20;
const TRACKS = 50;
const MiB = 1024 * 1024;
/** Bounds far above what a healthy run uses, far below a leak's. */
const REDIS_LIMIT = 128 * MiB;
const GATEWAY_RSS_LIMIT = 768 * MiB;

const enabled = process.env.INGEST_LOAD_TEST === '1';
const skip = enabled
  ? false
  : 'load test skipped: set INGEST_LOAD_TEST=1 (npm run test:load)';
if (!enabled) console.log(skip);

describe('load: 20 clients × 50 tracks, 2 transcoders', { skip }, () => {
  let dir: string;
  let stack: TestStack;
  const tracks: Buffer[] = [];
  const samples = { redis: [] as number[], gatewayRss: [] as number[] };
  let sampler: NodeJS.Timeout | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-load-'));
    // 50 distinct files (a job refuses the same bytes twice), reused by
    // every client.
    for (let n = 0; n < TRACKS; n++) {
      const file = path.join(dir, `t${n}.wav`);
      await makeTone(file, {
        seconds: 1 + (n % 5) * 0.2,
        channels: 1,
        tags: { title: `Load ${n}` },
      });
      tracks.push(await readFile(file));
    }
    stack = await TestStack.start({ transcoders: 2 });
    sampler = setInterval(() => void sample(), 2000);
  });

  after(async () => {
    if (sampler) clearInterval(sampler);
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function sample() {
    try {
      samples.redis.push(await redisMemory());
      samples.gatewayRss.push(await gatewayRss());
    } catch {
      // A sample missed while the stack starts or stops is no finding.
    }
  }

  async function redisMemory(): Promise<number> {
    const info = await stack.redis.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
  }

  async function gatewayRss(): Promise<number> {
    const text = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    const line =
      /^ingest_process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text);
    return Number(line?.[1]);
  }

  /** One client: upload every track into its main job, then publish. */
  async function client(site: TestSite, receiver: WebhookReceiver) {
    for (let n = 0; n < TRACKS; n++) {
      const form = new FormData();
      form.set('file', new Blob([tracks[n]]), `t${n}.wav`);
      const res = await fetch(
        `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
        { method: 'POST', body: form },
      );
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
    }
    const published = await stack.call('/api/import/publish', site.token, {
      oncomplete: `${receiver.url}/hook`,
    });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    assert.equal(published.body.queued, TRACKS);
    const done = await stack.waitForJob(
      site.token,
      published.body.job_id,
      30 * 60_000,
    );
    return done;
  }

  test('every job completes and every webhook arrives once', async (t) => {
    const started = Date.now();
    const baseRedis = await redisMemory();
    const baseRss = await gatewayRss();

    const sites: TestSite[] = [];
    const receivers: WebhookReceiver[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const site = await stack.createSite();
      sites.push(site);
      receivers.push(await webhookReceiver(site.secret));
    }

    try {
      const results = await Promise.all(
        sites.map((site, i) => client(site, receivers[i])),
      );
      const processed = Date.now() - started;
      for (const done of results) {
        assert.deepEqual([done.d, done.e, done.q, done.i], [TRACKS, 0, 0, 0]);
      }

      await Promise.all(receivers.map((r) => r.waitFor(1, 5 * 60_000)));
      // Time for a duplicate delivery to show, were there one.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      for (const receiver of receivers) {
        const ids = receiver.received.map((hook) => hook.id);
        assert.equal(ids.length, 1, `deliveries: ${ids.join(', ')}`);
        assert.ok(receiver.received[0].verified);
      }

      await sample();
      const peakRedis = Math.max(baseRedis, ...samples.redis);
      const peakRss = Math.max(baseRss, ...samples.gatewayRss);
      const endRedis = await redisMemory();
      const endRss = await gatewayRss();
      const figures = {
        clients: CLIENTS,
        tracks: CLIENTS * TRACKS,
        seconds: Math.round(processed / 1000),
        redisMiB: {
          start: toMiB(baseRedis),
          peak: toMiB(peakRedis),
          end: toMiB(endRedis),
        },
        gatewayRssMiB: {
          start: toMiB(baseRss),
          peak: toMiB(peakRss),
          end: toMiB(endRss),
        },
        samples: samples.redis.length,
      };
      t.diagnostic(`load figures ${JSON.stringify(figures)}`);
      console.log(`# load figures ${JSON.stringify(figures)}`);

      assert.ok(samples.gatewayRss.every(Number.isFinite), 'rss sampled');
      assert.ok(samples.redis.every(Number.isFinite), 'redis sampled');
      assert.ok(peakRedis < REDIS_LIMIT, `redis peaked at ${toMiB(peakRedis)}`);
      assert.ok(peakRss < GATEWAY_RSS_LIMIT, `gateway at ${toMiB(peakRss)}`);
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });
});

function toMiB(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}
