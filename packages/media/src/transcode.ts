import { rm } from 'node:fs/promises';

import { labelAiffLayout } from './aiff-layout';
import { fileUrl } from './audio-containers';
import { unmixableLayout } from './channel-layouts';
import {
  coverFromOriginal,
  decodeChains,
  endOf,
} from './chain-decode';
import {
  mp3AsIs,
  type EncodingSettings,
  type OutputFormat,
  type PolicyInput,
} from './encoding-policy';
import { readableToolLine, type ToolRunner } from './ffmpeg-runner';
import { declaredTooLong, decodedTooLong } from './duration-guard';
import { isMediaError, MediaError } from './media-error';
import { overQuota, renditionBudget } from './quota-guard';
import type { MediaLogger } from './media-logger';
import type { TrackMetadata } from './metadata-keys';
import { probeSource, type SourceProbe } from './probe';
import { endsBeforeItsIndex, firstComplaint } from './probe-complaint';
import { inspectRenditions } from './rendition-inspector';
import { coverArgs, type CoverChoice } from './cover-choice';
import { buildTranscodeArgs, renditionEncoding } from './transcode-args';
import {
  checkInputs,
  normalizeRequests,
  primaryOf,
  sourcesOf,
} from './transcode-plan';
import {
  differentRecording,
  outOfSpaceIn,
  renditionProblems,
  sourceVerdict,
} from './verify';

/** One file the caller wants written. */
export interface RenditionRequest {
  format: OutputFormat;
  /** Absolute temp path to write; the caller renames it into place. */
  path: string;
  /**
   * A source of this same format to take the rendition from instead of
   * the primary source, or the primary itself (a rendition re-tagged).
   * An mp3 is then stream-copied with the track's tags (no second lossy
   * generation); a lossless rendition is re-encoded from it, which is
   * lossless and applies the bit-depth policy.
   */
  sourcePath?: string;
}

export interface TranscodePlan {
  /** The stored primary source. */
  source: string;
  /**
   * Other stored sources the primary may be: then the best of `source`
   * and these (best-source.ts; a tie keeps the earlier) is the primary.
   * One neither chosen nor named by a rendition is only probed.
   */
  alternatives?: string[];
  renditions: RenditionRequest[];
  /** Tags to write, by standard field name. Source tags are not copied. */
  metadata?: TrackMetadata;
  cover?: CoverChoice;
  /**
   * Longest source allowed, seconds (INGEST_MAX_DURATION); a longer one
   * errors `source_too_long`, read no further than a second past it.
   */
  maxDurationS?: number;
  /**
   * Bytes the renditions may take together (the site's remaining
   * INGEST_SITE_QUOTA); more errors `quota_exceeded`. Default: no limit.
   */
  maxBytes?: number;
  /**
   * In place of `maxBytes`: asked once the sources are probed, before
   * anything is decoded, with the most bytes the renditions can take
   * (Infinity when no length bounds them), answers the bytes they may
   * take together (a site's share of its quota held for this pass).
   */
  budget?: (needBytes: number) => Promise<number>;
  /** Per ffmpeg/ffprobe run, ms. Default: the factory's `timeoutMs`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A source as measured in the transcode pass. */
export interface SourceReport {
  probe: SourceProbe;
  /** Seconds of audio that actually decoded. */
  decodedDurationS: number;
}

/** A written and verified rendition. */
export interface RenditionReport {
  format: OutputFormat;
  path: string;
  bytes: number;
  sha256: string;
  /** Measured by decoding the written file, seconds. */
  durationS: number;
  /** ffmpeg codec name as read back: mp3, pcm_s24le, flac… */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Lossless renditions: 16 or 24. */
  bitDepth: number | null;
  /** mp3 renditions: bits per second. */
  bitrate: number | null;
  /** Taken from a same-format source by stream copy. */
  streamCopy: boolean;
  /** The source it was made from. */
  sourcePath: string;
}

export interface TranscodeResult {
  source: SourceReport;
  /** Same-format sources used by some renditions, in plan order. */
  formatSources: SourceReport[];
  renditions: RenditionReport[];
  timings: { probeMs: number; transcodeMs: number; verifyMs: number };
}

export interface TranscodeDeps {
  runner: ToolRunner;
  logger: MediaLogger;
  timeoutMs: number;
}

export async function transcode(
  deps: TranscodeDeps,
  plan: TranscodePlan,
): Promise<TranscodeResult> {
  const runOptions = {
    timeoutMs: plan.timeoutMs ?? deps.timeoutMs,
    signal: plan.signal,
  };
  const requests = normalizeRequests(plan);

  const probeStarted = Date.now();
  const probed = new Map<string, SourceProbe>();
  for (const [i, path] of sourcesOf(plan).entries()) {
    try {
      probed.set(path, await probeSource(deps.runner, path, runOptions));
    } catch (err) {
      // An alternative only a candidate: unreadable, it is none.
      const named = requests.some((r) => r.sourcePath === path);
      if (i === 0 || named || plan.signal?.aborted || !isMediaError(err)) throw err;
      deps.logger.warn({ path, err: err.message }, 'alternative source not read');
    }
  }
  const candidates = [...probed.entries()];
  const best = primaryOf(candidates.map(([, p]) => p), requests);
  const inputPaths = [candidates[best][0]];
  for (const request of requests) {
    if (request.sourcePath && !inputPaths.includes(request.sourcePath)) {
      inputPaths.push(request.sourcePath);
    }
  }
  const probes: SourceProbe[] = [];
  for (const path of inputPaths) {
    probes.push(probed.get(path) ?? (await probeSource(deps.runner, path, runOptions)));
  }
  checkInputs(probes, requests);
  const declared = declaredTooLong(probes, plan.maxDurationS);
  if (declared) throw declared;
  const probeMs = Date.now() - probeStarted;

  const renditions = requests.map((request) => {
    const input = inputPaths.indexOf(request.sourcePath ?? inputPaths[0]);
    return {
      format: request.format,
      path: request.path,
      input,
      copy: request.format === 'mp3' && mp3AsIs(probes[input]),
    };
  });
  const cover = await coverArgs(plan.cover ?? 'source', probes, deps, runOptions);
  const policies = probes.map((probe) => ({ policy: policyOf(probe) }));
  const maxBytes = await renditionBudget(
    plan,
    renditions.map((r) => ({
      settings: renditionEncoding(r, policies),
      probe: probes[r.input],
    })),
  );

  const outputs = renditions.map((r) => r.path);
  let temps: string[] = [];
  try {
    // A chain decoded first is part of the transcode's time.
    const started = Date.now();
    const chains = await decodeChains(deps, probes, outputs[0], {
      ...runOptions,
      maxDurationS: plan.maxDurationS,
    });
    temps = chains.temps;
    const built = buildTranscodeArgs({
      inputs: probes.map((probe, i) => ({
        path: chains.paths[i],
        policy: policyOf(probe),
        endS: endOf(probe),
        relabel: relabelled(probe),
      })),
      renditions,
      metadata: plan.metadata ?? {},
      cover: coverFromOriginal(cover, probes, chains.paths),
      maxDurationS: plan.maxDurationS,
      maxBytes,
    });

    const run = await deps.runner.run({
      tool: 'ffmpeg',
      args: built.args,
      countedPipes: built.countedPipes,
      countingRates: built.countingRates,
      // `-fs` stops no output alone: the run is stopped at the first full.
      outputLimits: renditions.flatMap((r, i) => {
        const maxBytes = built.fsCaps[i];
        return maxBytes === null ? [] : [{ path: r.path, maxBytes }];
      }),
      ...runOptions,
    });
    const transcodeMs = Date.now() - started;

    const reports = probes.map((probe, i) => ({
      probe,
      decodedDurationS: run.countedBytes[i] / built.countingRates[i],
    }));
    const tooLong = await decodedTooLong(
      reports.map((r) => r.decodedDurationS),
      renditions.map((r, i) => ({ path: r.path, byteCap: built.byteCaps[i] })),
      plan.maxDurationS,
    );
    if (tooLong) throw tooLong;
    const overBudget = await overQuota(outputs, maxBytes);
    if (overBudget) throw overBudget;
    if (run.outputFull) {
      // Stopped at a size limit, and the file went below it since.
      throw new MediaError('transcode_failed', 'a rendition reached its size limit');
    }
    const lastLine = run.stderrTail.at(-1);
    const said = lastLine ? readableToolLine(lastLine) : null;
    const verdicts = reports.map(({ probe, decodedDurationS }, i) =>
      sourceVerdict({
        exitCode: run.exitCode,
        decodedS: decodedDurationS,
        header: {
          durationS: probe.headerDurationS,
          reliable: probe.headerDurationReliable,
        },
        firstComplaint: complaintOf(run.stderrHead, chains.paths[i]),
        // The demuxer says it at the end, after any decoder's complaints.
        cutShort: endsBeforeItsIndex(run.stderrTail, probe.formatName),
        lastLine: said,
        openFailure: openFailureOf(said, chains.paths[i]),
        rateKnown: (probe.audio?.sampleRate ?? 0) > 0,
        outOfSpace: outOfSpaceIn(run.stderrTail),
      }),
    );
    // A source at fault explains a failed pass better than the failure:
    // an unreadable second source fails the pass for the primary too.
    const verdict =
      verdicts.find((v) => v && v.code !== 'transcode_failed') ??
      verdicts.find((v) => v);
    if (verdict) throw verdict;
    const mismatch = differentRecording(
      reports.map((r) => ({
        container: r.probe.container,
        decodedS: r.decodedDurationS,
      })),
    );
    if (mismatch) throw mismatch;

    // AIFF's layout label, rewritten where ffmpeg's names another one.
    for (const [i, rendition] of renditions.entries()) {
      if (rendition.format !== 'aiff' || built.settings[i].channels <= 2) continue;
      const layout = probes[rendition.input].audio?.channelLayout ?? null;
      await labelAiffLayout(rendition.path, layout);
    }

    const verifyStarted = Date.now();
    const written = await verifyAll(
      deps.runner,
      renditions,
      built.settings,
      reports,
      runOptions,
    );
    return {
      source: reports[0],
      formatSources: reports.slice(1),
      renditions: written,
      timings: { probeMs, transcodeMs, verifyMs: Date.now() - verifyStarted },
    };
  } catch (error) {
    // The caller owns these temp paths; a failed run leaves none behind.
    await Promise.all(outputs.map((p) => rm(p, { force: true })));
    throw error;
  } finally {
    await Promise.all(temps.map((p) => rm(p, { force: true })));
  }
}

function policyOf(probe: SourceProbe): PolicyInput {
  // checkInputs guarantees an audio stream.
  const audio = probe.audio!;
  return {
    sampleRate: audio.sampleRate,
    channels: audio.channels,
    sampleKind: audio.sampleKind,
    bitDepth: audio.bitDepth,
  };
}

/** Whether the source's layout is one ffmpeg cannot mix as it is. */
function relabelled(probe: SourceProbe): boolean {
  const audio = probe.audio;
  return audio !== null && unmixableLayout(audio.channelLayout, audio.channels);
}

/** The reason in ffmpeg's "file:<path>: <reason>" about this input. */
function openFailureOf(line: string | null, path: string): string | null {
  const prefix = `${fileUrl(path)}: `;
  return line?.startsWith(prefix) ? line.slice(prefix.length) : null;
}

function complaintOf(lines: string[], path: string): string | null {
  const complaint = firstComplaint(lines, path);
  return complaint === 'unrecognised data' ? null : complaint;
}

async function verifyAll(
  runner: ToolRunner,
  renditions: Array<{ format: OutputFormat; path: string; input: number }>,
  settings: EncodingSettings[],
  sources: SourceReport[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RenditionReport[]> {
  const inspected = await inspectRenditions(
    runner,
    renditions.map((r, i) => ({
      ...r,
      sampleRate: settings[i].sampleRate,
      // A lossless rendition keeps the source's layout, and its label.
      ...(r.format !== 'mp3' && relabelled(sources[r.input].probe)
        ? { relabelChannels: settings[i].channels }
        : {}),
    })),
    options,
  );

  return inspected.map((facts, i) => {
    const wanted = settings[i];
    const source = sources[renditions[i].input];
    const copy = wanted.codec === 'copy';
    const problems = renditionProblems(facts, {
      codec: copy ? 'mp3' : codecReadBack(wanted.codec),
      sampleRate: wanted.sampleRate,
      channels: wanted.channels,
      bitDepth: wanted.bitDepth,
      durationS: source.decodedDurationS,
    });
    if (problems.length > 0) {
      throw new MediaError(
        'verification_failed',
        `${facts.format} rendition failed verification: ` +
          problems.join('; '),
        { format: facts.format, problems },
      );
    }

    return {
      format: facts.format,
      path: facts.path,
      bytes: facts.bytes,
      sha256: facts.sha256,
      durationS: facts.decodedS,
      codec: facts.codec ?? '',
      sampleRate: facts.sampleRate ?? 0,
      channels: facts.channels ?? 0,
      bitDepth: facts.format === 'mp3' ? null : facts.bitDepth,
      bitrate: facts.format === 'mp3' ? facts.bitrate : null,
      streamCopy: copy,
      sourcePath: source.probe.path,
    };
  });
}

/** The codec name ffprobe reports for what an encoder wrote. */
function codecReadBack(encoder: string): string {
  return encoder === 'libmp3lame' ? 'mp3' : encoder;
}
