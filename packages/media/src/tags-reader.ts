import { parseFile, type IAudioMetadata, type IOptions } from 'music-metadata';

import { apeItemProblem } from './ape-items';
import { customFieldsIn } from './custom-tag-keys';
import { flacBlockProblem } from './flac-blocks';
import { id3FrameProblem } from './id3-frame-count';
import { readId3TextFrames } from './id3-text-frames';
import { mp4AtomProblem } from './mp4-atoms';
import { oggCommentProblem } from './ogg-comments';
import type { StandardTagField } from './metadata-keys';
import {
  freeFormTags,
  joined,
  nativeLookup,
  nativeTags,
  type NativeLookup,
  type NativeTags,
} from './native-tags';

/** An embedded picture, as stored. */
export interface CoverPicture {
  data: Buffer;
  /** e.g. image/jpeg, image/png */
  mime: string;
}

/** A file's own tags in standard field names, plus its cover picture. */
export interface TagReadResult {
  fields: Partial<Record<StandardTagField, string>>;
  /** Values of the custom fields asked for, by `Custom: <name>`. */
  custom: Record<string, string>;
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

export interface ReadTagsOptions {
  /**
   * Custom field names (without `Custom: `) to read from free-form tags
   * (ID3 TXXX, Vorbis comments…), as the renditions write them. Default:
   * none.
   */
  customFields?: readonly string[];
}

/**
 * Reads ID3v1/v2.2–2.4, RIFF INFO, AIFF ID3, Vorbis comments and MP4 atoms
 * through music-metadata. Broken tags never throw: what was readable is
 * returned with a warning. Only a file that cannot be opened throws.
 */
export async function readTags(
  path: string,
  options: ReadTagsOptions = {},
): Promise<TagReadResult> {
  const warnings: string[] = [];
  const bomb =
    (await mp4AtomProblem(path)) ??
    (await flacBlockProblem(path)) ??
    (await oggCommentProblem(path)) ??
    (await id3FrameProblem(path)) ??
    (await apeItemProblem(path));
  if (bomb) {
    return { fields: {}, custom: {}, cover: null, warnings: [`tags not read: ${bomb}`] };
  }
  const id3Frames = await readId3TextFrames(path).catch((error) => {
    if (isFileSystemError(error)) throw error;
    warnings.push(`ID3 text frames unreadable: ${describe(error)}`);
    return null;
  });

  for (const attempt of ATTEMPTS) {
    try {
      const metadata = await parseFile(path, attempt);
      const custom = customFieldsIn(
        freeFormTags(metadata, id3Frames),
        options.customFields ?? [],
      );
      for (const [field, value] of Object.entries(custom)) {
        custom[field] = cleanText(value) ?? '';
        if (!custom[field]) delete custom[field];
      }
      return { ...mapTags(metadata, id3Frames), custom, warnings };
    } catch (error) {
      if (isFileSystemError(error)) throw error;
      warnings.push(`tags unreadable: ${describe(error)}`);
    }
  }
  return { fields: {}, custom: {}, cover: null, warnings };
}

function isFileSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function mapTags(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): Pick<TagReadResult, 'fields' | 'cover'> {
  const { common } = metadata;
  const tags = nativeTags(metadata, id3Frames);
  const native = nativeLookup(tags);
  const fields: Partial<Record<StandardTagField, string>> = {};
  const set = (field: StandardTagField, value: string | undefined) => {
    const clean = cleanText(value);
    if (clean) fields[field] = clean;
  };

  // music-metadata keeps one of several title, album or artist values
  // (and a v2.4 title with its NULs), and splits ID3v2.3 names at "/":
  // the native values are taken whole, all of them.
  set('Title', native(...TITLE_IDS) ?? common.title);
  set(
    'Artist',
    native(...ARTIST_IDS) ?? common.artist ?? joined(common.artists),
  );
  set('Album', native(...ALBUM_IDS) ?? common.album);
  set('Composer', native(...COMPOSER_IDS) ?? joined(common.composer));
  set('Genre', joined(common.genre));
  set('Mood', native('TXXX:MOOD', 'TMOO', 'MOOD'));
  set('BPM', common.bpm ? String(common.bpm) : native('TBPM', 'BPM'));
  set('ISRC', isrcOf(tags) ?? common.isrc?.[0]);
  set('ISWC', native('TXXX:ISWC', 'ISWC'));
  set('Track Number', trackNumber(common.track));
  set('Release Date', releaseDate(metadata, native));
  set(
    'Catalog',
    native('TXXX:CATALOGNUMBER', 'CATALOGNUMBER') ??
      common.catalognumber?.[0],
  );
  set(
    'Copyright',
    native('TCOP', 'TCR', 'COPYRIGHT', 'CPRT', '\u00a9CPY', 'ICOP') ??
      common.copyright,
  );
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

/** Native ids: ID3v2, Vorbis and APE, MP4 (and RIFF INFO). */
const TITLE_IDS = ['TIT2', 'TITLE', '\u00a9nam', 'INAM'];
const ALBUM_IDS = ['TALB', 'ALBUM', '\u00a9alb', 'IPRD'];
const ARTIST_IDS = ['TPE1', 'ARTIST', '\u00a9ART', 'IART'];
const COMPOSER_IDS = ['TCOM', 'COMPOSER', '\u00a9WRT'];

/** music-metadata's name for RIFF INFO chunks. */
const RIFF_INFO = 'exif';

/** An ISRC: country, registrant, year, designation (ISO 3901). */
const ISRC_SHAPE = /^[A-Z]{2}-?[A-Z0-9]{3}-?\d{2}-?\d{5}$/i;

/**
 * ID3 `TSRC`, a Vorbis or APE `ISRC`. RIFF INFO's `ISRC` is the "source"
 * (who supplied the material: Adobe Audition writes any text there), so
 * it is taken only when it holds an ISRC and nothing else gives one.
 */
function isrcOf(tags: NativeTags): string | undefined {
  const own = (riff: boolean) =>
    nativeLookup({
      types: tags.types.filter((t) => (t.type === RIFF_INFO) === riff),
    });
  const riffSource = own(true)('ISRC')?.trim();
  return (
    own(false)('TSRC', 'ISRC') ??
    (riffSource && ISRC_SHAPE.test(riffSource) ? riffSource : undefined)
  );
}

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

/**
 * Control characters the API refuses in `meta` (C0 but tab and line
 * breaks, DEL, C1): a file's own tags must not bring in what a client may
 * not send, such as terminal escapes (ESC) shown by whatever prints them.
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** A tag's text, repaired and without control characters, or undefined. */
export function cleanText(value: string | undefined): string | undefined {
  return (value && repairUtf8(value).replace(CONTROL, '').trim()) || undefined;
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
