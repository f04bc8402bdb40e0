import { parseFile, type IAudioMetadata, type IOptions } from 'music-metadata';

import { readId3TextFrames } from './id3-text-frames';
import type { StandardTagField } from './metadata-keys';

/** An embedded picture, as stored. */
export interface CoverPicture {
  data: Buffer;
  /** e.g. image/jpeg, image/png */
  mime: string;
}

/** A file's own tags in standard field names, plus its cover picture. */
export interface TagReadResult {
  fields: Partial<Record<StandardTagField, string>>;
  cover: CoverPicture | null;
  /** What could not be read, for logs; empty on a clean read. */
  warnings: string[];
}

/**
 * Attempts from thorough to forgiving: broken trailing tags (ID3v1, APE)
 * or a damaged picture must not cost the title and artist.
 */
const ATTEMPTS: IOptions[] = [
  { duration: false },
  { duration: false, skipCovers: true },
  { duration: false, skipCovers: true, skipPostHeaders: true },
];

/**
 * Reads ID3v1/v2.2–2.4, RIFF INFO, AIFF ID3, Vorbis comments and MP4 atoms
 * through music-metadata. Broken tags never throw: what was readable is
 * returned with a warning. Only a file that cannot be opened throws.
 */
export async function readTags(path: string): Promise<TagReadResult> {
  const warnings: string[] = [];
  const id3Frames = await readId3TextFrames(path).catch((error) => {
    if (isFileSystemError(error)) throw error;
    warnings.push(`ID3 text frames unreadable: ${describe(error)}`);
    return null;
  });

  for (const options of ATTEMPTS) {
    try {
      const metadata = await parseFile(path, options);
      return { ...mapTags(metadata, id3Frames), warnings };
    } catch (error) {
      if (isFileSystemError(error)) throw error;
      warnings.push(`tags unreadable: ${describe(error)}`);
    }
  }
  return { fields: {}, cover: null, warnings };
}

function isFileSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type NativeLookup = (...ids: string[]) => string | undefined;

/** ID3 versions whose frames music-metadata splits at `/`. */
const SPLIT_ID3 = new Set(['ID3v2.2', 'ID3v2.3']);

/**
 * Native tag values by id, across tag types: the first id found wins,
 * and the first tag type holding it gives all its values, joined by
 * "; " (two ARTIST comments, a v2.4 frame of NUL-separated values).
 * ID3v2.2/2.3 frames come whole from `id3Frames` when it could be read.
 */
function nativeLookup(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): NativeLookup {
  const values = new Map<string, string[]>();
  for (const [type, tags] of Object.entries(metadata.native)) {
    const entries =
      id3Frames && SPLIT_ID3.has(type)
        ? [...id3Frames].flatMap(([id, texts]) =>
            texts.map((value) => ({ id, value })),
          )
        : tags;
    const own = new Map<string, string[]>();
    for (const tag of entries) {
      const key = tag.id.toUpperCase();
      const text = textOf(tag.value);
      if (text && !values.has(key)) own.set(key, [...(own.get(key) ?? []), text]);
    }
    for (const [key, texts] of own) values.set(key, texts);
  }
  return (...ids) => {
    for (const id of ids) {
      const found = joined(values.get(id.toUpperCase()));
      if (found) return found;
    }
    return undefined;
  };
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return joined(value.map(textOf).filter(isText));
  if (value && typeof value === 'object' && 'text' in value) {
    return textOf((value as { text: unknown }).text);
  }
  return undefined;
}

function isText(value: string | undefined): value is string {
  return value !== undefined;
}

function joined(values: string[] | undefined): string | undefined {
  const clean = (values ?? []).map((v) => v.trim()).filter(Boolean);
  return clean.length > 0 ? clean.join('; ') : undefined;
}

function mapTags(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): Omit<TagReadResult, 'warnings'> {
  const { common } = metadata;
  const native = nativeLookup(metadata, id3Frames);
  const fields: Partial<Record<StandardTagField, string>> = {};
  const set = (field: StandardTagField, value: string | undefined) => {
    const clean = value && repairUtf8(value).replace(/\u0000/g, '').trim();
    if (clean) fields[field] = clean;
  };

  set('Title', common.title);
  // music-metadata keeps only the first of several artist values, and
  // both split ID3v2.3 names at "/": the native values are taken whole.
  set(
    'Artist',
    native(...ARTIST_IDS) ?? common.artist ?? joined(common.artists),
  );
  set('Album', common.album);
  set('Composer', native(...COMPOSER_IDS) ?? joined(common.composer));
  set('Genre', joined(common.genre));
  set('Mood', native('TXXX:MOOD', 'TMOO', 'MOOD'));
  set('BPM', common.bpm ? String(common.bpm) : native('TBPM', 'BPM'));
  set('ISRC', native('TSRC', 'ISRC') ?? common.isrc?.[0]);
  set('ISWC', native('TXXX:ISWC', 'ISWC'));
  set('Track Number', trackNumber(common.track));
  set('Release Date', releaseDate(metadata, native));
  set('Catalog', common.catalognumber?.[0]);
  set(
    'Description',
    native('TXXX:DESCRIPTION') ??
      common.description?.[0] ??
      common.comment?.find((c) => c.text)?.text,
  );
  // ffmpeg (4.1) cannot write USLT and stores lyrics as TXXX:USLT.
  set(
    'Lyrics',
    common.lyrics?.find((l) => l.text)?.text ??
      native('TXXX:LYRICS', 'TXXX:USLT', 'LYRICS', 'UNSYNCEDLYRICS'),
  );

  // ID3 TPUB and Vorbis PUBLISHER are the publisher; an explicit label tag
  // is the label. music-metadata folds both into `label`, so natives first.
  const publisher = native('TPUB', 'TPB', 'PUBLISHER');
  const label = native(
    'TXXX:LABEL',
    'LABEL',
    'ORGANIZATION',
    '----:com.apple.iTunes:LABEL',
  );
  set('Publisher', publisher);
  set('Label', label ?? (publisher ? undefined : common.label?.[0]));

  return { fields, cover: coverOf(metadata) };
}

/** Artist and composer ids: ID3v2, Vorbis and APE, MP4 (and RIFF INFO). */
const ARTIST_IDS = ['TPE1', 'ARTIST', '\u00a9ART', 'IART'];
const COMPOSER_IDS = ['TCOM', 'COMPOSER', '\u00a9WRT'];

function trackNumber(track: { no: number | null; of: number | null }) {
  if (!track.no) return undefined;
  return track.of ? `${track.no}/${track.of}` : String(track.no);
}

/**
 * ID3v2.3 splits a date into TYER (YYYY) and TDAT (DDMM); joined here so
 * a date written by the transcoder reads back whole.
 */
function releaseDate(metadata: IAudioMetadata, native: NativeLookup) {
  const { common } = metadata;
  if (common.date) return common.date;
  const year = native('TYER');
  const dayMonth = native('TDAT');
  if (year && dayMonth && /^\d{4}$/.test(dayMonth)) {
    return `${year}-${dayMonth.slice(2)}-${dayMonth.slice(0, 2)}`;
  }
  if (common.releasedate) return common.releasedate;
  return year ?? (common.year ? String(common.year) : undefined);
}

function coverOf(metadata: IAudioMetadata): CoverPicture | null {
  const pictures = metadata.common.picture ?? [];
  const picture =
    pictures.find((p) => /front/i.test(p.type ?? '')) ?? pictures[0];
  if (!picture || picture.data.length === 0) return null;
  const mime = picture.format.includes('/')
    ? picture.format
    : `image/${picture.format.toLowerCase()}`;
  return { data: Buffer.from(picture.data), mime };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RIFF INFO and ID3v1 have no charset; music-metadata reads them as
 * Latin-1, but ffmpeg and most current tools write UTF-8 there. Text
 * whose Latin-1 bytes form valid multi-byte UTF-8 is practically never
 * meant as Latin-1 ("Ã©tÃ©"), so it is decoded again as UTF-8.
 */
export function repairUtf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) {
    return value;
  }
  try {
    return strictUtf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}
