import { rm } from 'node:fs/promises';

import { fileUrl, inputGuardArgs } from './audio-containers';
import type { ToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import type { MediaLogger } from './media-logger';
import type { SourceProbe } from './probe';
import { DURATION_READ_MARGIN_S, pcmByteCap } from './source-limits';
import type { ArgsCover } from './transcode-args';

/**
 * A chained Ogg whose links change rate or channel count (ogg-chain.ts)
 * is first decoded whole to one PCM file at its first link's rate and
 * channel count (later links resampled and remixed), which the pass then
 * reads instead. Written by a PCM encoder, which holds no frame buffer, it
 * loses nothing where the format changes; mp3 and flac encoders reading
 * the chain itself lost up to 0.1 s at each change, so their renditions
 * came out short (a click in the audio) and failed verification.
 */

export interface ChainDeps {
  runner: ToolRunner;
  logger: MediaLogger;
}

export interface DecodedChains {
  /** The path the pass reads for each source. */
  paths: string[];
  /** Files written here, for the caller to remove. */
  temps: string[];
}

export async function decodeChains(
  deps: ChainDeps,
  probes: SourceProbe[],
  tempBase: string,
  options: { timeoutMs: number; signal?: AbortSignal; maxDurationS?: number },
): Promise<DecodedChains> {
  const { maxDurationS, ...runOptions } = options;
  // Read as far as the pass will (transcode-args.ts), no further.
  const readS = maxDurationS && maxDurationS + DURATION_READ_MARGIN_S;
  const readArgs = readS ? ['-t', String(readS)] : [];
  const paths = probes.map((p) => p.path);
  const temps: string[] = [];
  for (const [i, probe] of probes.entries()) {
    if (!probe.chain.formatChanges || !probe.audio) continue;
    const temp = `${tempBase}.chain-${i}.w64`;
    temps.push(temp);
    const { sampleRate, channels } = probe.audio;
    const codec = pcmFor(probe.audio);
    // `-t` alone does not hold: ffmpeg 4.1 starts its count again at
    // each link whose format changes (its filter graph is rebuilt), so a
    // chain of short links of compressed silence decoded without end (a
    // 129 KB file to 2.2 GB). The bytes that many seconds make do hold;
    // the pass then reads the copy to the limit and says it is too long.
    const fs = readS
      ? ['-fs', String(pcmByteCap(sampleRate, channels, PCM_BYTES[codec], readS))]
      : [];
    const run = await deps.runner.run({
      tool: 'ffmpeg',
      args: [
        '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y',
        ...readArgs, ...inputGuardArgs(), '-i', fileUrl(probe.path),
        '-map', '0:a:0', '-map_metadata', '-1',
        '-af', `aresample=${sampleRate}`, '-ac', String(channels),
        '-c:a', codec, ...fs,
        '-f', 'w64', fileUrl(temp),
      ],
      ...runOptions,
    });
    if (run.exitCode === 0) {
      paths[i] = temp;
    } else {
      // The pass then reads the chain itself and says what is wrong.
      deps.logger.warn(
        { path: probe.path, exitCode: run.exitCode },
        'chained ogg not decoded',
      );
      await rm(temp, { force: true });
    }
  }
  return { paths, temps };
}

const PCM_BYTES: Record<string, number> = {
  pcm_f32le: 4,
  pcm_s24le: 3,
  pcm_s16le: 2,
};

/** A PCM codec that holds the source's samples as they decode. */
function pcmFor(audio: NonNullable<SourceProbe['audio']>): string {
  if (audio.sampleKind !== 'int') return 'pcm_f32le';
  return (audio.bitDepth ?? 24) > 16 ? 'pcm_s24le' : 'pcm_s16le';
}

/**
 * A cover taken from a source's own streams, when that source is read
 * from its decoded copy (which has no picture): read from the source.
 */
export function coverFromOriginal(
  cover: ArgsCover,
  probes: SourceProbe[],
  paths: string[],
): ArgsCover {
  if (cover.kind !== 'stream') return cover;
  const original = probes[cover.input].path;
  if (paths[cover.input] === original) return cover;
  return { kind: 'embedded', path: original, videoOrdinal: cover.videoOrdinal };
}

/**
 * Why a chained Ogg cannot be published: links in different codecs, of
 * which ffmpeg 4.1 decodes the first only, and says nothing of it.
 */
export function codecChangeProblem(probe: SourceProbe): MediaError | null {
  const codecs = [...new Set(probe.chain.codecs)];
  if (codecs.length <= 1) return null;
  return new MediaError(
    'undecodable',
    `a chained Ogg file whose parts change codec (${codecs.join(', then ')}): ` +
      'only its first part could be decoded. Export it as one stream in ' +
      'one codec (e.g. FLAC or WAV) and upload it again',
    { container: probe.container, codecs: probe.chain.codecs },
  );
}

/**
 * Where the audio of an Ogg file ends by its last granule position, which
 * counts its samples exactly: ffmpeg 4.1 decodes the Vorbis encoder's
 * padding of the last packet as well, silence the track does not have
 * (a 3 s Vorbis at 22.05 kHz decoded to 3.013 s). A chain's granule is
 * no such count (ogg-chain.ts) and is not reliable. MP4 edit lists are
 * not applied so: ffprobe 6 and ffmpeg 4.1 read some differently (a
 * 0.256 s AAC whose edit list ffprobe 6 reads as 0.144 s).
 */
export function endOf(probe: SourceProbe): number | null {
  if (probe.container !== 'ogg' || !probe.headerDurationReliable) return null;
  return probe.headerDurationS;
}
