/** Output formats a track can have. */
export const OUTPUT_FORMATS = ['mp3', 'wav', 'aiff', 'flac'] as const;

export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

const CONTENT_TYPES: Record<OutputFormat, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  aiff: 'audio/aiff',
  flac: 'audio/flac',
};

export function contentTypeOf(format: OutputFormat): string {
  return CONTENT_TYPES[format];
}

/**
 * The default format set of an upload: the output formats among its
 * sources, plus mp3 (SPEC §2).
 */
export function defaultFormats(sourceFormats: string[]): OutputFormat[] {
  const set = new Set<OutputFormat>(sourceFormats.filter(isOutputFormat));
  set.add('mp3');
  return OUTPUT_FORMATS.filter((f) => set.has(f));
}

/**
 * Formats that will be encoded rather than taken from a source: those
 * with no source of their own, and mp3 when its source is not already
 * what an mp3 rendition must be (SPEC §3: it is encoded to 320 kb/s).
 * A lossless source is taken as it is.
 */
export function addedFormats(
  formats: OutputFormat[],
  sources: Record<string, { asIs?: boolean }>,
): OutputFormat[] {
  return formats.filter((f) => {
    const source = sources[f];
    return !source || (f === 'mp3' && !source.asIs);
  });
}
