import { sizeOf } from './duration-guard';
import type { EncodingSettings } from './encoding-policy';
import { MediaError } from './media-error';
import type { SourceProbe } from './probe';
import { DURATION_READ_MARGIN_S, renditionByteCap } from './source-limits';

/**
 * The transcode's side of INGEST_SITE_QUOTA. A small source may decode
 * to far more audio than it holds (silence compresses thousands to one),
 * so each rendition is written under `-fs` no larger than the bytes the
 * site has left (transcode-args.ts); a pass whose renditions reached it,
 * or together pass it, fails here and the caller removes them.
 */
export async function overQuota(
  paths: string[],
  maxBytes: number | undefined,
): Promise<MediaError | null> {
  if (maxBytes === undefined) return null;
  const sizes = await Promise.all(paths.map(sizeOf));
  const total = sizes.reduce((sum, bytes) => sum + bytes, 0);
  const capped = sizes.some((bytes) => bytes >= maxBytes);
  if (!capped && total <= maxBytes) return null;
  return new MediaError(
    'quota_exceeded',
    `the renditions would take more than the ${maxBytes} bytes the site ` +
      'has left of its storage quota (INGEST_SITE_QUOTA): delete tracks ' +
      'or uploads, or ask the operator for a larger quota',
    { bytes: total, maxBytes },
  );
}

/**
 * The bytes a pass's renditions may take together: `maxBytes`, or what
 * `budget` answers when asked for the most they can take: each one's
 * `-fs` bound for the length its input declares, or for the longest
 * allowed (INGEST_MAX_DURATION); Infinity when neither is known.
 */
export async function renditionBudget(
  plan: {
    maxBytes?: number;
    maxDurationS?: number;
    budget?: (needBytes: number) => Promise<number>;
  },
  renditions: Array<{ settings: EncodingSettings; probe: SourceProbe }>,
): Promise<number | undefined> {
  if (!plan.budget) return plan.maxBytes;
  let need = 0;
  for (const { settings, probe } of renditions) {
    need += renditionByteCap(settings, mostSeconds(probe, plan.maxDurationS));
  }
  return plan.budget(need);
}

/** Seconds a pass may decode of `probe` at most; Infinity: unknown. */
function mostSeconds(probe: SourceProbe, maxS: number | undefined): number {
  const limit = maxS ? maxS + DURATION_READ_MARGIN_S : Infinity;
  const declared =
    probe.headerDurationReliable && probe.headerDurationS
      ? probe.headerDurationS + DURATION_READ_MARGIN_S
      : Infinity;
  return Math.min(limit, declared);
}
