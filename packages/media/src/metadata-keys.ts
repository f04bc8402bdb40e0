import { tagKeysOf } from './custom-tag-keys';
import type { OutputFormat } from './encoding-policy';

/**
 * Track metadata by standard field name (SPEC §2 "Metadata"): `Title`,
 * `Track Number`, `Custom: External ID`… Values are client text.
 */
export type TrackMetadata = Readonly<Record<string, string>>;

/** The standard fields the adapter maps to and from container tags. */
export const STANDARD_TAG_FIELDS = [
  'Title',
  'Artist',
  'Album',
  'Composer',
  'Genre',
  'Mood',
  'Track Number',
  'Release Date',
  'ISRC',
  'ISWC',
  'BPM',
  'Publisher',
  'Label',
  'Catalog',
  'Description',
  'Lyrics',
  'Copyright',
] as const;

export type StandardTagField = (typeof STANDARD_TAG_FIELDS)[number];

/** Fields that describe the upload, not the recording: never written. */
const NOT_TAGS = new Set(['Filename']);

/**
 * ID3v2.3 (mp3, and the AIFF ID3 chunk). Frame ids are given directly so
 * ffmpeg writes exactly that frame; for AIFF it also keeps ffmpeg from
 * copying the title into a NAME chunk, which it writes mis-encoded.
 * ffmpeg 4.1 can write neither COMM nor USLT, so Description and Lyrics
 * go to TXXX frames that `readTags` reads back. `date` is left to ffmpeg,
 * which splits an ISO date into TYER + TDAT for v2.3. Label uses
 * TXXX:LABEL and Publisher TPUB, as Mp3tag and foobar2000 do.
 */
const ID3_KEYS: Record<StandardTagField, string> = {
  Title: 'TIT2',
  Artist: 'TPE1',
  Album: 'TALB',
  Composer: 'TCOM',
  Genre: 'TCON',
  Mood: 'MOOD',
  'Track Number': 'TRCK',
  'Release Date': 'date',
  ISRC: 'TSRC',
  ISWC: 'ISWC',
  BPM: 'TBPM',
  Publisher: 'TPUB',
  Label: 'LABEL',
  Catalog: 'CATALOGNUMBER',
  Description: 'DESCRIPTION',
  Lyrics: 'LYRICS',
  // As a frame id: under `copyright` ffmpeg's AIFF muxer also writes a
  // `(c) ` chunk, whose text is ASCII by the AIFF spec; the ID3 chunk
  // holds the Unicode.
  Copyright: 'TCOP',
};

/** Vorbis comment names as Picard and most players write them. */
const VORBIS_KEYS: Record<StandardTagField, string> = {
  Title: 'TITLE',
  Artist: 'ARTIST',
  Album: 'ALBUM',
  Composer: 'COMPOSER',
  Genre: 'GENRE',
  Mood: 'MOOD',
  'Track Number': 'TRACKNUMBER',
  'Release Date': 'DATE',
  ISRC: 'ISRC',
  ISWC: 'ISWC',
  BPM: 'BPM',
  Publisher: 'PUBLISHER',
  Label: 'LABEL',
  Catalog: 'CATALOGNUMBER',
  Description: 'DESCRIPTION',
  Lyrics: 'LYRICS',
  Copyright: 'COPYRIGHT',
};

/**
 * RIFF INFO holds only a fixed list of ids, and ffmpeg drops keys outside
 * it. RIFF's `ISRC` means "source", not the recording code, so ISRC is
 * not written to WAV; fields without a home are simply absent.
 */
const RIFF_KEYS: Partial<Record<StandardTagField, string>> = {
  Title: 'INAM',
  Artist: 'IART',
  Album: 'IPRD',
  Genre: 'IGNR',
  'Track Number': 'IPRT',
  'Release Date': 'ICRD',
  Description: 'ICMT',
  Copyright: 'ICOP',
};

function isStandardField(name: string): name is StandardTagField {
  return (STANDARD_TAG_FIELDS as readonly string[]).includes(name);
}

/**
 * A value ffmpeg can carry as one argv element: NUL cannot pass through
 * exec at all and other control characters would corrupt tag frames;
 * newlines and tabs are kept (lyrics).
 */
export function cleanTagValue(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/**
 * The `-metadata` pairs for one rendition format. Standard fields map to
 * the container's own names; other fields (Custom: …, Writer …) become
 * TXXX frames or Vorbis comments under their own name, escaped where the
 * container or ffmpeg needs it (custom-tag-keys.ts), and are dropped in
 * RIFF INFO. Blank values are skipped: a blank field means "no value".
 */
export function containerTags(
  format: OutputFormat,
  metadata: TrackMetadata,
): Array<[key: string, value: string]> {
  const entries = Object.entries(metadata)
    .map(([field, raw]) => [field, cleanTagValue(String(raw ?? '')).trim()])
    .filter(([field, value]) => value && !NOT_TAGS.has(field));
  const others = entries
    .map(([field]) => field)
    .filter((field) => !isStandardField(field));
  const otherKeys =
    format === 'wav'
      ? new Map<string, string>()
      : tagKeysOf(format === 'flac' ? 'vorbis' : 'id3', others);

  const pairs: Array<[string, string]> = [];
  for (const [field, value] of entries) {
    const key = isStandardField(field)
      ? standardKey(format, field)
      : otherKeys.get(field);
    if (key) pairs.push([key, value]);
  }
  return pairs;
}

function standardKey(format: OutputFormat, field: StandardTagField) {
  if (format === 'wav') return RIFF_KEYS[field] ?? null;
  if (format === 'flac') return VORBIS_KEYS[field];
  return ID3_KEYS[field];
}
