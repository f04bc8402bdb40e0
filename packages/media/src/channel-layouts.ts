/**
 * Speaker layouts the bundled ffmpeg (4.1) cannot mix down. Its
 * resampler builds a downmix only from a layout that has a front speaker
 * and both speakers of every pair it has (front, front-centre, side,
 * back). A source whose WAV channel mask or FLAC tag names another, such
 * as a surround pair exported on its own (BL+BR, SL+SR) or FL+FC, failed
 * the whole pass ("Input channel layout … is not supported") on every
 * attempt, though it decodes: the mp3 and the sample count are mixes.
 * Such a source is relabelled as ffmpeg's default layout for its channel
 * count where it is mixed; wav, aiff and flac keep its own label.
 */

const FRONT = ['FL', 'FR', 'FC'];
const PAIRS = [
  ['FL', 'FR'],
  ['FLC', 'FRC'],
  ['SL', 'SR'],
  ['BL', 'BR'],
];

/**
 * Whether a layout, as ffprobe names it, is one ffmpeg 4.1 cannot mix.
 * Named layouts (stereo, 5.1, quad…) can be mixed but for `downmix`
 * (DL+DR); an unnamed one is listed ("2 channels (BL+BR)"); none named
 * ("3 channels", or no layout) gets ffmpeg's default. One channel is
 * never mixed, only copied.
 */
export function unmixableLayout(layout: string | null, channels: number): boolean {
  if (channels < 2 || !layout) return false;
  if (layout === 'downmix') return true;
  const listed = /^\d+ channels \((.+)\)$/.exec(layout);
  if (!listed) return false;
  const names = new Set(listed[1].split('+'));
  if (!FRONT.some((name) => names.has(name))) return true;
  return PAIRS.some(([left, right]) => names.has(left) !== names.has(right));
}

/**
 * The filter arguments that relabel `channels` channels, in their order,
 * as ffmpeg's default layout for that count (`2c` is stereo, `6c` 5.1),
 * which it can mix.
 */
export function relabelArgs(channels: number): string[] {
  const map = Array.from({ length: channels }, (_, i) => i).join('|');
  return ['-af', `channelmap=map=${map}:channel_layout=${channels}c`];
}
