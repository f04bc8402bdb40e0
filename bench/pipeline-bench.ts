import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createMediaTools } from '@ingest/media';
import type { LoopbackServer, TestSite, TestStack, WebhookReceiver } from '@ingest/testkit';
import { longestFirst, musicTracks, trackSeconds, type TrackKind } from './fixtures';
import { FORMATS, perFormat, perTrack } from './plain-ffmpeg';
import { rssOf, sampleRss } from './rss';
import { callOk, startTranscoders, stopAll, webhookOf } from './stack-kit';
import { pool, timed } from './stats';

const execFileAsync = promisify(execFile);

export interface BenchContext {
  stack: TestStack;
  site: TestSite;
  files: LoopbackServer;
  receiver: WebhookReceiver;
  reps: number;
  log: (message: string) => void;
}

export interface PipelineRun {
  uploadMs: number;
  /** publish → webhook: the transcoding part. */
  processMs: number;
}

/** Uploads the tracks by URL into a new job, publishes, waits for the hook. */
export async function runPipeline(
  ctx: BenchContext,
  sources: string[],
): Promise<PipelineRun> {
  const job = await callOk(ctx.stack, ctx.site, 'createJob', { name: 'bench' });
  const jobId = job.job_id as number;
  const upload = await timed(async () => {
    for (const source of sources) {
      await callOk(ctx.stack, ctx.site, 'upload', {
        url: `${ctx.files.url}/${path.basename(source)}`,
        job_id: jobId,
        formats: FORMATS.join(','),
      });
    }
  });
  const processed = await timed(async () => {
    await callOk(ctx.stack, ctx.site, 'publish', {
      job_id: jobId,
      oncomplete: ctx.receiver.url,
    });
    const hook = await webhookOf(ctx.receiver, jobId, 3_600_000);
    const counts = hook.counts as { d: number; e: number };
    if (counts.d !== sources.length) {
      throw new Error(`job ${jobId}: ${JSON.stringify(hook.counts)}`);
    }
  });
  return { uploadMs: upload.ms, processMs: processed.ms };
}

export interface PhaseTimes {
  probeMs: number;
  transcodeMs: number;
  verifyMs: number;
}

/** Flushes written files to the disk, then removes `dir`. */
async function settle(dir: string) {
  await execFileAsync('sync');
  await rm(dir, { recursive: true, force: true });
}

/** The media package alone, in this process: what the phases cost. */
async function mediaOnly(sources: string[], parallel: number) {
  const tools = createMediaTools();
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-bench-media-'));
  const phases: PhaseTimes = { probeMs: 0, transcodeMs: 0, verifyMs: 0 };
  const run = await timed(() =>
    pool(
      parallel,
      longestFirst(sources.length).map((i) => async () => {
        const source = sources[i];
        const result = await tools.transcode({
          source,
          renditions: FORMATS.map((format) => ({
            format,
            path: path.join(outDir, `t${i}.${format}`),
          })),
          cover: 'none',
        });
        phases.probeMs += result.timings.probeMs;
        phases.transcodeMs += result.timings.transcodeMs;
        phases.verifyMs += result.timings.verifyMs;
      }),
    ),
  );
  await settle(outDir);
  return { ms: run.ms, phases };
}

export interface VersusFfmpeg {
  kind: string;
  tracks: number;
  audioSeconds: number;
  parallel: number;
  pipeline: PipelineRun[];
  perTrackMs: number[];
  perFormatMs: number[];
  mediaMs: number[];
  phases: PhaseTimes[];
  load: string[];
}

/**
 * Section 1: the service against plain ffmpeg at the same parallelism
 * (one transcoder process, TRANSCODER_CONCURRENCY = parallel). Runs are
 * interleaved and their order rotated, so machine load hits all alike.
 */
export async function pipelineVersusFfmpeg(
  ctx: BenchContext,
  kind: TrackKind,
  count: number,
  parallel: number,
): Promise<VersusFfmpeg> {
  const sources = await musicTracks(kind, count);
  const result: VersusFfmpeg = {
    kind: kind.label,
    tracks: count,
    audioSeconds: sources.reduce((s, _, i) => s + trackSeconds(i), 0),
    parallel,
    pipeline: [],
    perTrackMs: [],
    perFormatMs: [],
    mediaMs: [],
    phases: [],
    load: [],
  };
  const transcoders = await startTranscoders(ctx.stack, 1, parallel);
  const outRoot = await mkdtemp(path.join(os.tmpdir(), 'ingest-bench-plain-'));
  try {
    const dir = path.join(outRoot, 'plain');
    const contenders: Array<() => Promise<void>> = [
      async () => {
        result.pipeline.push(await runPipeline(ctx, sources));
      },
      async () => {
        await mkdir(dir, { recursive: true });
        result.perTrackMs.push((await timed(() => perTrack(kind, sources, dir, parallel))).ms);
      },
      async () => {
        await mkdir(dir, { recursive: true });
        result.perFormatMs.push((await timed(() => perFormat(kind, sources, dir, parallel))).ms);
      },
      async () => {
        const media = await mediaOnly(sources, parallel);
        result.mediaMs.push(media.ms);
        result.phases.push(media.phases);
      },
    ];
    for (let rep = 0; rep < ctx.reps; rep++) {
      result.load.push(os.loadavg()[0].toFixed(2));
      for (let k = 0; k < contenders.length; k++) {
        await contenders[(k + rep) % contenders.length]();
        // Outside the timed part: what one way wrote reaches the disk
        // before the next starts, and plain ffmpeg's files are kept
        // until its clock stops, as the pipeline's are.
        await settle(dir);
      }
      ctx.log(`  ${kind.label} run ${rep + 1}/${ctx.reps} done`);
    }
  } finally {
    await stopAll(transcoders);
    await rm(outRoot, { recursive: true, force: true });
  }
  return result;
}

export interface ScalingPoint {
  processes: number;
  concurrency: number;
  processMs: number[];
  /** Idle RSS of one transcoder (node) after start. */
  idleRss: number;
  /** Highest RSS of one transcoder node process while working. */
  nodePeakRss: number;
  /** Highest RSS of one transcoder with its ffmpeg children. */
  treePeakRss: number;
}

/**
 * Section 2: publish → webhook for the same uploads with 1 and 2
 * transcoder processes and TRANSCODER_CONCURRENCY 1, 2, 4 each.
 */
export async function scaling(
  ctx: BenchContext,
  kind: TrackKind,
  count: number,
  settings: Array<[processes: number, concurrency: number]>,
): Promise<ScalingPoint[]> {
  const sources = await musicTracks(kind, count);
  const points: ScalingPoint[] = settings.map(([processes, concurrency]) => ({
    processes,
    concurrency,
    processMs: [],
    idleRss: 0,
    nodePeakRss: 0,
    treePeakRss: 0,
  }));
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const point of points) {
      await execFileAsync('sync');
      const transcoders = await startTranscoders(ctx.stack, point.processes, point.concurrency);
      try {
        const pid = transcoders[0].child.pid!;
        point.idleRss = Math.max(point.idleRss, await rssOf(pid));
        const sampler = sampleRss(pid, 200, true);
        const run = await runPipeline(ctx, sources);
        const trace = await sampler.stop();
        point.processMs.push(run.processMs);
        point.nodePeakRss = Math.max(point.nodePeakRss, trace.peak);
        point.treePeakRss = Math.max(point.treePeakRss, trace.treePeak);
      } finally {
        await stopAll(transcoders);
      }
      ctx.log(`  scaling ${point.processes}×${point.concurrency} run ${rep + 1}/${ctx.reps} done`);
    }
  }
  return points;
}
