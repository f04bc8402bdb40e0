import { open } from 'node:fs/promises';
import { resolve } from 'node:path';

import { MediaError } from './media-error';
import { probeSource, type SourceProbe } from './probe';
import type { ArgsCover } from './transcode-args';
import type { TranscodeDeps } from './transcode';

/**
 * Which picture becomes the mp3's APIC frame: one embedded in the
 * sources (default; the primary's first), none, a PNG/JPEG file, or the
 * sources' picture and, when they hold none, the one embedded in another
 * audio file (`keepFrom`: a track's current mp3, so an update made from
 * a source without art keeps the track's).
 */
export type CoverChoice =
  | 'source'
  | 'none'
  | { path: string }
  | { keepFrom: string };

/**
 * 'source' takes the first picture the sources hold, the primary's
 * before the others': a wav master beside an mp3 with cover art gives
 * the mp3 rendition that art.
 */
export async function coverArgs(
  choice: CoverChoice,
  sources: SourceProbe[],
  deps: TranscodeDeps,
  runOptions: { timeoutMs: number; signal?: AbortSignal },
): Promise<ArgsCover> {
  const { runner, logger } = deps;
  if (choice === 'none') return { kind: 'none' };
  if (choice === 'source' || 'keepFrom' in choice) {
    const input = sources.findIndex((probe) => probe.cover);
    if (input >= 0) {
      const { videoOrdinal } = sources[input].cover!;
      return { kind: 'stream', input, videoOrdinal };
    }
    for (const probe of sources.filter((p) => p.hasCover)) {
      logger.warn({ path: probe.path }, 'source cover not copyable');
    }
    if (choice === 'source') return { kind: 'none' };
    // The kept picture is a nicety: a file that fails to probe gives none.
    const kept = await probeSource(runner, choice.keepFrom, runOptions).catch(
      (err: unknown) => {
        logger.warn({ err, path: choice.keepFrom }, 'kept cover not read');
        return null;
      },
    );
    if (!kept?.cover) return { kind: 'none' };
    return {
      kind: 'embedded',
      path: kept.path,
      videoOrdinal: kept.cover.videoOrdinal,
    };
  }

  const path = resolve(choice.path);
  const demuxer = await imageDemuxer(path);
  if (!demuxer) {
    throw new MediaError('invalid_plan', 'the cover is not a PNG or JPEG');
  }
  return { kind: 'file', path, demuxer };
}

async function imageDemuxer(
  path: string,
): Promise<'png_pipe' | 'jpeg_pipe' | null> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    if (head.readUInt32BE(0) === 0x89504e47) return 'png_pipe';
    if (head[0] === 0xff && head[1] === 0xd8) return 'jpeg_pipe';
    return null;
  } finally {
    await file.close();
  }
}

