import { resolve } from 'node:path';

import { bestSource } from './best-source';
import { codecChangeProblem } from './chain-decode';
import { isOutputFormat } from './encoding-policy';
import { MediaError } from './media-error';
import { UNKNOWN_CODEC, type SourceProbe } from './probe';
import { renditionLimitProblem, sourceLimitProblem } from './source-limits';
import type { RenditionRequest, TranscodePlan } from './transcode';

/**
 * A transcode plan's checks before ffmpeg runs: the renditions asked
 * (formats once each, paths of their own) and what the probed sources
 * allow.
 */

export function normalizeRequests(plan: TranscodePlan): RenditionRequest[] {
  if (plan.renditions.length === 0) {
    throw new MediaError('invalid_plan', 'no renditions requested');
  }
  const formats = new Set<string>();
  const paths = new Set<string>(sourcesOf(plan));

  return plan.renditions.map((request) => {
    if (!isOutputFormat(request.format)) {
      throw new MediaError(
        'invalid_plan',
        `unsupported rendition format: ${String(request.format)}`,
      );
    }
    if (formats.has(request.format)) {
      throw new MediaError(
        'invalid_plan',
        `format requested twice: ${request.format}`,
      );
    }
    formats.add(request.format);

    const path = resolve(request.path);
    const sourcePath = request.sourcePath && resolve(request.sourcePath);
    if (paths.has(path) || path === sourcePath) {
      throw new MediaError(
        'invalid_plan',
        `rendition path collides with another file: ${request.format}`,
      );
    }
    paths.add(path);
    return { format: request.format, path, sourcePath };
  });
}

/** The plan's candidates for the primary, first the given primary. */
export function sourcesOf(plan: TranscodePlan): string[] {
  const all = [plan.source, ...(plan.alternatives ?? [])].map((p) => resolve(p));
  return [...new Set(all)];
}

/**
 * Which candidate is the primary: the best (best-source.ts) of those
 * whose audio can make every rendition without a source of its own (a
 * 96001 Hz one makes no flac), so a higher rate does not fail a format
 * another source makes; the given primary (the first) when none can,
 * for checkInputs to say why.
 */
export function primaryOf(
  candidates: SourceProbe[],
  requests: RenditionRequest[],
): number {
  const fits = (probe: SourceProbe) =>
    probe.audio !== null &&
    sourceLimitProblem(probe.audio) === null &&
    requests.every(
      (r) => r.sourcePath || !renditionLimitProblem(r.format, probe.audio!),
    );
  const usable = candidates.filter(fits);
  if (usable.length === 0) return 0;
  return candidates.indexOf(usable[bestSource(usable.map((p) => p.audio))]);
}

export function checkInputs(probes: SourceProbe[], requests: RenditionRequest[]) {
  for (const probe of probes) {
    if (!probe.audio) {
      throw new MediaError('no_audio', 'no audio stream', {
        container: probe.container,
      });
    }
    if (probe.audio.codec === UNKNOWN_CODEC) {
      // ffmpeg then stops at once ("Decoder (codec none) not found").
      throw new MediaError(
        'undecodable',
        `the ${probe.container} file's audio is in a codec the decoder ` +
          'does not know: export it as WAV (PCM), FLAC or mp3 and upload it again',
        { container: probe.container },
      );
    }
    const changing = codecChangeProblem(probe);
    if (changing) throw changing;
    // Refused before ffmpeg runs, with a reason a person can act on.
    const { channels, sampleRate } = probe.audio;
    const problem = sourceLimitProblem({ channels, sampleRate });
    if (problem) {
      throw new MediaError(problem.code, problem.message, {
        channels,
        sampleRate,
      });
    }
  }
  for (const request of requests) {
    const probe = probes.find((p) => p.path === request.sourcePath);
    if (probe && probe.outputFormat !== request.format) {
      throw new MediaError(
        'invalid_plan',
        `the ${request.format} source is a ${probe.container} file`,
      );
    }
    // Every probe has audio: checked above.
    const { sampleRate } = (probe ?? probes[0]).audio!;
    const problem = renditionLimitProblem(request.format, { sampleRate });
    if (problem) {
      throw new MediaError(problem.code, problem.message, {
        format: request.format,
        sampleRate,
      });
    }
  }
}
