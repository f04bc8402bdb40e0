import { sizeOf } from './duration-guard';
import { MediaError } from './media-error';

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
