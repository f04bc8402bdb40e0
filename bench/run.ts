/**
 * `npm run bench [-- --quick]`: measures the pipeline against plain
 * ffmpeg, transcoder scaling, API/queue overhead and memory, in one run
 * on this machine, and writes the figures into BENCHMARKS.md (a quick
 * run: var/bench/quick.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveFiles, webhookReceiver } from '@ingest/testkit';
import { bigJob, publishLatency, rawAddRate, uploadRate } from './api-bench';
import { CD, CD_FLAC, FIXTURE_DIR, HIRES, musicTracks } from './fixtures';
import { cpuTicks, loadNow, machineFacts, ownTicks } from './machine';
import { gatewayFetchMemory, notifierBacklog } from './memory-bench';
import { pipelineVersusFfmpeg, scaling, type BenchContext } from './pipeline-bench';
import { writeReport, type BenchResults } from './report';
import { SmallFiles } from './small-files';
import { startBenchStack, startTranscoders, stopAll } from './stack-kit';
import { median } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

/** How big each measurement is, per mode. */
const PLAN = quick
  ? {
      reps: 1, tracks: 2, hiresTracks: 2, scaleTracks: 2,
      scale: [[1, 1], [2, 1]] as Array<[number, number]>,
      smallUploads: 24, rawAdds: 500, latencyRuns: 3, bigJob: 50,
      hugeBytes: 256 * 1024 ** 2, deliveries: 1000, backlogMs: 5000,
    }
  : {
      reps: 3, tracks: 6, hiresTracks: 6, scaleTracks: 6,
      scale: [[1, 1], [2, 1], [1, 2], [2, 2], [1, 4], [2, 4]] as Array<[number, number]>,
      smallUploads: 120, rawAdds: 5000, latencyRuns: 7, bigJob: 1000,
      hugeBytes: 1024 ** 3, deliveries: 10_000, backlogMs: 20_000,
    };

const log = (message: string) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadNow()}] ${message}`);

async function main() {
  const started = Date.now();
  const ticks = await cpuTicks();
  const own = await ownTicks();
  const machine = await machineFacts();
  log(`${quick ? 'quick' : 'full'} mode; fixtures in ${FIXTURE_DIR}`);
  await musicTracks(CD, Math.max(PLAN.tracks, PLAN.scaleTracks));
  if (!quick) {
    await musicTracks(HIRES, PLAN.hiresTracks);
    await musicTracks(CD_FLAC, PLAN.tracks);
  }

  // Made before the stack starts: a failure here leaves no process behind.
  const small = await SmallFiles.create();
  const stack = await startBenchStack();
  const files = await serveFiles(FIXTURE_DIR);
  const site = await stack.createSite();
  const receiver = await webhookReceiver(site.secret);
  const smallServer = await small.serve();
  const results: Partial<BenchResults> = { quick, machine, plan: PLAN };
  try {
    await measureAll();
  } catch (err) {
    // What was measured before a failure is kept for a reader (not
    // written into BENCHMARKS.md: the report needs every section).
    const mode = quick ? 'quick' : 'full';
    const file = path.join(ROOT, 'var', 'bench', `${mode}.partial.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ ...results, error: String(err) }, null, 2));
    log(`failed; what was measured is in ${path.relative(ROOT, file)}`);
    throw err;
  }

  async function measureAll() {
    try {
      const ctx: BenchContext = { stack, site, files, receiver, reps: PLAN.reps, log };
      const parallel = os.availableParallelism();

      log('1. pipeline vs plain ffmpeg');
      results.versus = [await pipelineVersusFfmpeg(ctx, CD, PLAN.tracks, parallel)];
      if (!quick) {
        results.versus.push(await pipelineVersusFfmpeg(ctx, HIRES, PLAN.hiresTracks, parallel));
        results.versus.push(await pipelineVersusFfmpeg(ctx, CD_FLAC, PLAN.tracks, parallel));
      }

      log('2. scaling');
      results.scaling = await scaling(ctx, CD, PLAN.scaleTracks, PLAN.scale);

      log('3. API and queue overhead');
      const sites = [site];
      for (let i = 0; i < 7; i++) sites.push(await stack.createSite());
      const api = { stack, sites, small, smallUrl: smallServer.url, receiver };
      const transcoders = await startTranscoders(stack, 1, parallel);
      try {
        const url: number[] = [];
        const multipart: number[] = [];
        const raw: number[] = [];
        for (let rep = 0; rep < Math.max(PLAN.reps, 1); rep++) {
          url.push(await uploadRate(api, 'url', PLAN.smallUploads));
          multipart.push(await uploadRate(api, 'multipart', PLAN.smallUploads));
          raw.push(await rawAddRate(stack, PLAN.rawAdds, sites.length));
        }
        const latency = [];
        for (let i = 0; i < PLAN.latencyRuns; i++) {
          latency.push(await publishLatency(api, sites[1]));
        }
        log(`   ${PLAN.bigJob}-upload job`);
        const big = await bigJob(api, sites[2], PLAN.bigJob);
        results.api = {
          sites: sites.length,
          smallBytes: small.bytes,
          urlRate: url,
          multipartRate: multipart,
          rawAddRate: raw,
          publishAnsweredMs: median(latency.map((l) => l.answeredMs)),
          publishTakenMs: median(latency.map((l) => l.takenMs)),
          latencyRuns: latency.length,
          big,
        };

        log('4. memory');
        results.gatewayFetch = await gatewayFetchMemory(stack, sites[3], PLAN.hugeBytes);
        results.notifier = await notifierBacklog(
          stack, sites[4], small, smallServer.url, receiver, PLAN.deliveries, PLAN.backlogMs,
        );
      } finally {
        await stopAll(transcoders);
      }
    } finally {
      await smallServer.close();
      await receiver.close();
      await files.close();
      await stack.close();
    }
  }

  const after = await cpuTicks();
  const total = after.total - ticks.total;
  results.machineBusy = (after.busy - ticks.busy) / total;
  results.othersBusy = Math.max(0, after.busy - ticks.busy - ((await ownTicks()) - own)) / total;
  results.loadAtEnd = loadNow();
  results.minutes = (Date.now() - started) / 60_000;
  results.date = new Date().toISOString();
  const full = results as BenchResults;
  await mkdir(path.join(ROOT, 'var', 'bench'), { recursive: true });
  await writeFile(
    path.join(ROOT, 'var', 'bench', `${quick ? 'quick' : 'full'}.json`),
    JSON.stringify(full, null, 2),
  );
  // A quick run is a smoke check: it leaves the quoted figures alone.
  const report = quick
    ? path.join(ROOT, 'var', 'bench', 'quick.md')
    : path.join(ROOT, 'BENCHMARKS.md');
  await writeReport(report, full);
  log(
    `done in ${full.minutes.toFixed(1)} min; ` +
      `${path.relative(ROOT, report)} written`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
