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
  // with its `iff` demuxer. The gateway lets only DSDIFF's first bytes
  // through to it, not the Amiga pictures and sounds it also reads.
  'dsf',
  'iff',
] as const;

/** Options that go before every `-i` of a stored file. */
export function inputGuardArgs(): string[] {
  return [
    '-format_whitelist',
    AUDIO_DEMUXERS.join(','),
    '-protocol_whitelist',
    'file',
  ];
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
