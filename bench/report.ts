import { readFile, writeFile } from 'node:fs/promises';
import type { BigJob } from './api-bench';
import type { MachineFacts } from './machine';
import type { GatewayFetch, NotifierBacklog } from './memory-bench';
import type { ScalingPoint, VersusFfmpeg } from './pipeline-bench';
import { median, medianRatio, mib, ratio, seconds, signed } from './stats';

export interface BenchResults {
  quick: boolean;
  date: string;
  minutes: number;
  machine: MachineFacts;
  plan: Record<string, unknown>;
  machineBusy: number;
  othersBusy: number;
  loadAtEnd: string;
  versus: VersusFfmpeg[];
  scaling: ScalingPoint[];
  api: {
    sites: number;
    smallBytes: number;
    urlRate: number[];
    multipartRate: number[];
    rawAddRate: number[];
    publishAnsweredMs: number;
    publishTakenMs: number;
    latencyRuns: number;
    big: BigJob;
  };
  gatewayFetch: GatewayFetch;
  notifier: NotifierBacklog;
}

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const met = (ok: boolean) => (ok ? 'met' : '**missed**');

/** Writes the generated part of BENCHMARKS.md; hand-written text stays. */
export async function writeReport(file: string, r: BenchResults) {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const body = [BEGIN, ...render(r), END].join('\n');
  text =
    start >= 0 && end > start
      ? text.slice(0, start) + body + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n${body}\n`;
  await writeFile(file, text);
}

interface Row {
  name: string;
  ms: number[];
}

function versusRows(v: VersusFfmpeg): { rows: Row[]; best: Row } {
  const perTrack = {
    name: 'plain ffmpeg, one per track (3 outputs)',
    ms: v.perTrackMs,
  };
  const perFormat = { name: 'plain ffmpeg, one per format', ms: v.perFormatMs };
  const best =
    median(perTrack.ms) <= median(perFormat.ms) ? perTrack : perFormat;
  return {
    best,
    rows: [
      perTrack,
      perFormat,
      {
        name:
          'media package `transcode()` alone (probe + pass + verify + hash)',
        ms: v.mediaMs,
      },
      {
        name: '**pipeline: publish → webhook**',
        ms: v.pipeline.map((p) => p.processMs),
      },
      {
        name: 'pipeline: N uploads by URL, one after another',
        ms: v.pipeline.map((p) => p.uploadMs),
      },
      {
        name: 'pipeline: first upload → webhook',
        ms: v.pipeline.map((p) => p.uploadMs + p.processMs),
      },
    ],
  };
}

function render(r: BenchResults): string[] {
  const m = r.machine;
  const out: string[] = [];
  const kind = r.quick
    ? 'quick (1 run each: a smoke check, not figures to quote)'
    : 'full';
  out.push(
    `## Latest run: ${kind}`,
    '',
    `Taken ${r.date.slice(0, 16).replace('T', ' ')} UTC in ${r.minutes.toFixed(0)} min ` +
      `by \`npm run bench${r.quick ? ' -- --quick' : ''}\`.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${m.cpuModel}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| node | ${m.node} |`,
    `| ffmpeg | ${m.ffmpeg} |`,
    `| redis | ${m.redis} |`,
    `| kernel | ${m.kernel} |`,
    `| load average at start (1/5/15 min) | ${m.load.join(', ')} |`,
    `| load average at end | ${r.loadAtEnd} |`,
    `| CPU busy during the run, all work / other work than the bench | ` +
      `${pct(r.machineBusy)} / ${pct(r.othersBusy)} |`,
    '',
    r.othersBusy > 0.1
      ? `**Not a quiet machine:** other work took ${pct(r.othersBusy)} of the CPU ` +
          'during the run; absolute times are inflated and ratios noisier. ' +
          'Re-run on a quiet machine before quoting.'
      : 'The machine was quiet (other work took under 10% of the CPU).',
    '',
  );

  out.push(...targets(r), ...versusSection(r), ...scalingSection(r));
  out.push(...apiSection(r), ...memorySection(r));
  return out;
}

function targets(r: BenchResults): string[] {
  // A quick run is one run of small sizes: a smoke check, no verdict.
  const yes = (ok: boolean) => (r.quick ? 'not judged (quick run)' : met(ok));
  const versus = r.versus.flatMap((v) => {
    const { best, rows } = versusRows(v);
    const pipeline = rows[3].ms;
    const toBest = medianRatio(pipeline, best.ms);
    const toFormat = medianRatio(pipeline, v.perFormatMs);
    return [
      `| pipeline within 10% of the best plain-ffmpeg way (${v.kind}) | ` +
        `${ratio(toBest)} of ${best.name} | ${yes(toBest <= 1.1)} |`,
      `| pipeline faster than one ffmpeg per format (${v.kind}) | ` +
        `${ratio(toFormat)} of its time | ${yes(toFormat < 1)} |`,
    ];
  });
  const one = r.scaling.find((p) => p.processes === 1 && p.concurrency === 1);
  const two = r.scaling.find((p) => p.processes === 2 && p.concurrency === 1);
  const scale = one && two ? medianRatio(one.processMs, two.processMs) : NaN;
  const g = r.gatewayFetch;
  return [
    '### Targets',
    '',
    '| target | figure | |',
    '|---|---|---|',
    ...versus,
    '| two transcoder processes ≥ 1.8× one (concurrency 1) | ' +
      `${ratio(scale)} | ${yes(scale >= 1.8)} |`,
    `| gateway RSS fetching a ${mib(g.bytes)} MiB source: flat, < 150 MB (143 MiB) | ` +
      `peak ${mib(g.peakRss)} MiB, ${signed(mib(g.peakRss - g.idleRss))} over idle | ` +
      `${yes(g.peakRss < 150e6)} |`,
    '',
  ];
}

function versusSection(r: BenchResults): string[] {
  const out = [
    '### 1. Pipeline vs. plain ffmpeg',
    '',
    'Each run converts the same N tracks to mp3 + wav + aiff at the same parallelism ' +
      '(one transcoder with TRANSCODER_CONCURRENCY = cores; plain ffmpeg with as many ' +
      'processes at once), longest track first in every way (the order publish ' +
      'gives the pipeline, so the ratios measure work, not scheduling). ' +
      'The four ways run interleaved, their order rotated each run; after each, ' +
      'untimed, `sync` flushes what it wrote. ' +
      'Ratios are medians of per-run ratios to the best plain-ffmpeg way.',
    '',
  ];
  for (const v of r.versus) {
    const { best, rows } = versusRows(v);
    out.push(
      `**${v.kind}**: ${v.tracks} tracks, ` +
        `${(v.audioSeconds / 60).toFixed(1)} min of stereo audio, ` +
        `parallelism ${v.parallel}, ${v.pipeline.length} ` +
        `${v.pipeline.length === 1 ? 'run' : 'runs'} ` +
        `(1-min load at each run: ${v.load.join(', ')})`,
      '',
      '| way | median s | × best plain |',
      '|---|---|---|',
    );
    for (const row of rows) {
      const times = seconds(median(row.ms));
      out.push(
        `| ${row.name} | ${times} | ${ratio(medianRatio(row.ms, best.ms))} |`,
      );
    }
    const phases = v.phases.reduce(
      (a, p) => ({
        probe: a.probe + p.probeMs,
        pass: a.pass + p.transcodeMs,
        verify: a.verify + p.verifyMs,
      }),
      { probe: 0, pass: 0, verify: 0 },
    );
    const all = phases.probe + phases.pass + phases.verify;
    const pipeline = median(rows[3].ms);
    const gap = pipeline - median(best.ms);
    const media = median(v.mediaMs);
    const checks = media * ((phases.probe + phases.verify) / all);
    out.push(
      '',
      'Phases of the media package (summed over its runs): ' +
        `probe ${pct(phases.probe / all)}, ` +
        `transcode pass ${pct(phases.pass / all)} ` +
        '(includes counting each source\'s decoded samples ' +
        'as 8-bit mono at its own rate), ' +
        `verify + hash ${pct(phases.verify / all)}.`,
      '',
      `Gap pipeline − best plain: ${seconds(gap)} s. Of it, the media package's own ` +
        `checks (probe + verify + hash, ≈ ${seconds(checks)} s of wall time ` +
        'at this parallelism) and ' +
        `its counting output (media alone − plain per track − checks: ` +
        `${signed(seconds(media - median(v.perTrackMs) - checks))} s) ` +
        'are the work it does on purpose; ' +
        `the service around it (queue, storage, state, webhook: pipeline − media alone) ` +
        `adds ${signed(seconds(pipeline - media))} s.`,
      '',
    );
  }
  return out;
}

function scalingSection(r: BenchResults): string[] {
  const base = r.scaling.find((p) => p.processes === 1 && p.concurrency === 1);
  const tracks = Number(r.plan.scaleTracks);
  const out = [
    '### 2. Scaling',
    '',
    `publish → webhook for ${tracks} tracks ` +
      '(44.1 kHz / 16-bit WAV, mp3 + wav + aiff), by transcoder ' +
      'processes × TRANSCODER_CONCURRENCY. ' +
      'Speed-up is the median of per-run ratios to 1 × 1. ' +
      'RSS: one transcoder process (node) idle and at peak, ' +
      'and with its ffmpeg children.',
    '',
    '| processes × concurrency | median s | tracks / min | speed-up | ' +
      'RSS idle | RSS peak | peak with ffmpeg | per concurrent job |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const p of r.scaling) {
    const ms = median(p.processMs);
    const jobs = Math.min(p.concurrency, Math.ceil(tracks / p.processes));
    const perMinute = ((tracks * 60_000) / ms).toFixed(1);
    out.push(
      `| ${p.processes} × ${p.concurrency} | ${seconds(ms)} | ${perMinute} | ` +
        `${base ? ratio(medianRatio(base.processMs, p.processMs)) : 'n/a'} | ` +
        `${mib(p.idleRss)} MiB | ${mib(p.nodePeakRss)} MiB | ${mib(p.treePeakRss)} MiB | ` +
        `${mib((p.treePeakRss - p.idleRss) / jobs)} MiB |`,
    );
  }
  out.push('');
  return out;
}

function apiSection(r: BenchResults): string[] {
  const a = r.api;
  const raw = median(a.rawAddRate);
  const b = a.big;
  const per1000 = (x: number) => mib((x * 1000) / b.uploads);
  return [
    '### 3. API and queue overhead',
    '',
    `Small uploads (${(a.smallBytes / 1024).toFixed(0)} KiB WAV, distinct bytes each) from ` +
      `${a.sites} sites at once, each site one upload after another.`,
    '',
    '| what | median per second | × raw BullMQ add |',
    '|---|---|---|',
    `| uploads accepted, by URL | ${median(a.urlRate).toFixed(1)} | ` +
      `${ratio(median(a.urlRate) / raw)} |`,
    `| uploads accepted, multipart | ${median(a.multipartRate).toFixed(1)} | ` +
      `${ratio(median(a.multipartRate) / raw)} |`,
    '| raw BullMQ `add` ' +
      `(same Redis, transcode options, ${a.sites} callers) | ` +
      `${raw.toFixed(0)} | 1.00× |`,
    '',
    `publish answered in ${a.publishAnsweredMs.toFixed(0)} ms; first upload taken by an idle ` +
      `transcoder ${a.publishTakenMs.toFixed(0)} ms after publish was called ` +
      `(medians of ${a.latencyRuns}).`,
    '',
    `A job of ${b.uploads} small uploads (one site, by URL): ` +
      `uploads ${seconds(b.uploadMs)} s ` +
      `(${((b.uploads * 1000) / b.uploadMs).toFixed(1)}/s), ` +
      `publish → webhook ${seconds(b.processMs)} s ` +
      `(${((b.uploads * 1000) / b.processMs).toFixed(1)} tracks/s). ` +
      'Redis used_memory: ' +
      `${signed(per1000(b.queuedDelta))} MiB per 1000 uploads queued, ` +
      `${signed(per1000(b.completeDelta))} MiB per 1000 tracks published ` +
      '(state, tracks, finished ' +
      'queue jobs kept for a day).',
    '',
  ];
}

function memorySection(r: BenchResults): string[] {
  const g = r.gatewayFetch;
  const n = r.notifier;
  return [
    '### 4. Memory',
    '',
    `Gateway fetching a ${mib(g.bytes)} MiB WAV by URL (generated as sent by a loopback ` +
      `server): RSS idle ${mib(g.idleRss)} MiB, peak while fetching ${mib(g.peakRss)} MiB ` +
      `(VmHWM ${mib(g.hwm)} MiB), ${((g.bytes / 1024 ** 2) / (g.ms / 1000)).toFixed(0)} MiB/s.`,
    '',
    `Notifier with ${n.deliveries} webhook deliveries pending toward a receiver that never ` +
      `answers: RSS idle ${mib(n.idleRss)} MiB, peak over ${(n.sampledMs / 1000).toFixed(0)} s ` +
      `${mib(n.peakRss)} MiB. Redis holds ${signed(mib(n.redisDelta))} MiB for them.`,
    '',
    'Transcoder RSS per concurrent job: see the scaling table.',
    '',
  ];
}
