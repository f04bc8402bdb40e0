import { open } from 'node:fs/promises';

/**
 * The demuxers ffmpeg and ffprobe may use on a stored source (SPEC §5).
 * Playlists (hls), concat lists, image sequences and anything else that
 * can open further files or URLs stay off this list. `mov` covers m4a.
 * mov's external data references stay at ffmpeg's default (disabled).
 */
export const AUDIO_DEMUXERS = [
  'mp3',
  'wav',
  'w64',
  'aiff',
  'flac',
  'ogg',
  'mov',
  'aac',
  'caf',
  'wv',
  'ape',
  'tta',
  'au',
  'amr',
  // Matroska/WebM (.mka, .webm: Opus, Vorbis) and ASF (.wma): neither
  // follows references to other files.
  'matroska',
  'asf',
  // Raw Dolby and DTS streams (.ac3, .eac3, .dts, .thd, .mlp) as taken
  // from film and surround masters, and DTS-HD's chunked file (.dtshd):
  // each reads only its own bytes.
  'ac3',
  'eac3',
  'dts',
  'dtshd',
  'truehd',
  'mlp',
  // DSD: Sony's DSF (.dsf) and Philips' DSDIFF (.dff), which ffmpeg reads
  // with its `iff` demuxer. Only a file that starts as DSDIFF does is
  // given to it (sourceGuardArgs), not the Amiga sounds it also reads.
  'dsf',
  'iff',
] as const;

/** Options that go before every `-i` of a stored file. */
export function inputGuardArgs(
  demuxers: readonly string[] = AUDIO_DEMUXERS,
): string[] {
  return [
    '-format_whitelist',
    demuxers.join(','),
    '-protocol_whitelist',
    'file',
  ];
}

/**
 * inputGuardArgs for the probe of a source, which gates every other run
 * on it: `iff` only for a file that starts as DSDIFF does. ffmpeg's iff
 * demuxer also reads Amiga sounds (8SVX) and pictures, and ffmpeg picks
 * it by the file's first bytes, whatever else let the file in (two mp3
 * frames anywhere in its first 64 KiB pass the upload's sniff).
 */
export async function sourceGuardArgs(absolutePath: string): Promise<string[]> {
  const file = await open(absolutePath, 'r');
  const head = Buffer.alloc(16);
  try {
    await file.read(head, 0, 16, 0);
  } finally {
    await file.close();
  }
  const dsdiff =
    head.toString('latin1', 0, 4) === 'FRM8' &&
    head.toString('latin1', 12, 16) === 'DSD ';
  return inputGuardArgs(
    dsdiff ? AUDIO_DEMUXERS : AUDIO_DEMUXERS.filter((name) => name !== 'iff'),
  );
}

/**
 * A path as an ffmpeg URL. The explicit `file:` keeps names that contain
 * a colon ("a:b.mp3") from being read as a protocol and names starting
 * with `-` from looking like options.
 */
export function fileUrl(absolutePath: string): string {
  return `file:${absolutePath}`;
}

/** Short container names callers see, from ffprobe's demuxer names. */
const CONTAINER_NAMES: Record<string, string> = {
  mp3: 'mp3',
  wav: 'wav',
  w64: 'w64',
  aiff: 'aiff',
  flac: 'flac',
  ogg: 'ogg',
  mov: 'm4a',
  aac: 'aac',
  caf: 'caf',
  wv: 'wavpack',
  ape: 'ape',
  tta: 'tta',
  au: 'au',
  amr: 'amr',
  matroska: 'matroska',
  asf: 'wma',
  ac3: 'ac3',
  eac3: 'eac3',
  dts: 'dts',
  dtshd: 'dtshd',
  truehd: 'truehd',
  mlp: 'mlp',
  dsf: 'dsf',
  iff: 'dff',
};

export function normalizeContainer(formatName: string): string {
  const first = formatName.split(',')[0] ?? formatName;
  return CONTAINER_NAMES[first] ?? first;
}
