import type { OutputFormat } from './encoding-policy';
import { MediaError } from './media-error';

/**
 * The pass/fail rules of SPEC §3, as pure functions: how close a
 * rendition's length must be, what counts as truncation, and what a
 * decode of the source must yield to be worth publishing.
 */

/** 1% of the expected length, but never less than 50 ms. */
export function durationTolerance(expectedS: number): number {
  return Math.max(0.05, 0.01 * expectedS);
}

export function withinTolerance(actualS: number, expectedS: number) {
  return Math.abs(actualS - expectedS) <= durationTolerance(expectedS);
}

/**
 * Less audio than one mp3 frame (1152 samples ≈ 24–26 ms at 48/44.1 kHz)
 * cannot become an mp3 rendition; such files are headers with a few stray
 * samples (e.g. a 9-frame µ-law AIFF), not recordings.
 */
export const MIN_DECODED_S = 0.025;

/** Share and absolute amount of declared audio that may fail to decode. */
export const TRUNCATION_SHARE = 0.1;
export const TRUNCATION_MIN_S = 0.5;

export interface HeaderClaim {
  durationS: number | null;
  reliable: boolean;
}

/**
 * True when a reliable header declares more than 10% and more than 0.5 s
 * beyond what decodes. A length estimated from the bitrate proves nothing.
 */
export function isTruncated(header: HeaderClaim, decodedS: number): boolean {
  if (!header.reliable || header.durationS === null) return false;
  const missing = header.durationS - decodedS;
  return (
    missing > TRUNCATION_SHARE * header.durationS &&
    missing > TRUNCATION_MIN_S
  );
}

/** Seconds for people: one decimal, two below one second. */
export function formatSeconds(seconds: number): string {
  return seconds >= 1 || seconds === 0
    ? seconds.toFixed(1)
    : seconds.toFixed(seconds >= 0.1 ? 2 : 3);
}

/** What came out of decoding one input in the transcode pass. */
export interface DecodeOutcome {
  /** ffmpeg's exit code for the whole pass. */
  exitCode: number | null;
  decodedS: number;
  header: HeaderClaim;
  /** First decoder complaint, already made readable. */
  firstComplaint: string | null;
  /** Last stderr line, for failures that are not the source's fault. */
  lastLine: string | null;
  /**
   * Whether the probe learnt the stream's sample rate. It learns none
   * when it can read no frame of the stream (an ID3 tag before junk, a
   * free-format mp3).
   */
  rateKnown: boolean;
  /**
   * Set when ffmpeg said it could not write for want of room (a full
   * disk, a quota): the run's fault lies with the disk, not the source.
   */
  outOfSpace?: OutOfSpaceCode;
  /**
   * Set when the demuxer said the file ends before audio its header
   * indexes (an mp4's "partial file"): the file was cut short.
   */
  cutShort?: boolean;
  /**
   * ffmpeg's reason when it failed opening this input ("file:…: Invalid
   * data found when processing input"), without the path.
   */
  openFailure?: string | null;
}

// Failures to open an input that are the server's, not the source's
// (glibc's words for ENOENT, EACCES, EMFILE/ENFILE, EIO, ENOMEM, ESTALE,
// EAGAIN, EINTR, ETIMEDOUT, EISDIR): a retry may pass.
const NOT_THE_SOURCE = new RegExp(
  [
    'No such file',
    'Permission denied',
    'Too many open files',
    'Input/output error',
    'Cannot allocate memory',
    'Stale file handle',
    'Resource temporarily unavailable',
    'Interrupted system call',
    'Connection timed out',
    'Is a directory',
  ].join('|'),
);

export type OutOfSpaceCode = 'ENOSPC' | 'EDQUOT';

/** The C library's words for them, as ffmpeg prints its errors. */
const OUT_OF_SPACE_WORDS: [string, OutOfSpaceCode][] = [
  ['No space left on device', 'ENOSPC'],
  ['Disk quota exceeded', 'EDQUOT'],
];

/** Whether a tool's stderr lines say it ran out of room to write. */
export function outOfSpaceIn(lines: readonly string[]): OutOfSpaceCode | undefined {
  for (const [words, code] of OUT_OF_SPACE_WORDS) {
    if (lines.some((line) => line.includes(words))) return code;
  }
  return undefined;
}

// ffmpeg 4.1 exits with 69 when more than 2/3 of packets failed to decode.
const EXIT_ERROR_RATE = 69;

/**
 * Why a source must not be published, or null when it may. Order matters:
 * a failed run says nothing about the source; nothing decoded beats
 * truncation (a header alone proves nothing) unless the demuxer found the
 * file ends before the audio its header indexes, and
 * truncation beats the softer "mostly broken" verdicts because it tells
 * the person what happened (an upload cut short).
 */
export function sourceVerdict(outcome: DecodeOutcome): MediaError | null {
  const { decodedS, header } = outcome;
  const reason = outcome.firstComplaint ?? 'the decoder produced nothing';

  // A stream with no frame ffmpeg can read has rate 0, and ffmpeg 4.1
  // fails at its end setting up filters for that rate (exit 1). Nothing
  // decoded from a stream the probe could not read either is the
  // source's fault: every retry would fail the same way.
  const unreadable = !outcome.rateKnown && decodedS === 0;

  // Any other failing exit means ffmpeg itself could not finish (an output
  // it could not write, a crash): the amount decoded then proves nothing.
  const failed =
    outcome.exitCode !== 0 && outcome.exitCode !== EXIT_ERROR_RATE;
  // ffprobe 6 read a file that ffmpeg 4.1 cannot open (a FLAC whose
  // picture outgrew its block's length field): every retry would fail.
  const open = outcome.openFailure;
  if (failed && open && !NOT_THE_SOURCE.test(open)) {
    return new MediaError(
      'undecodable',
      `not a readable audio file: ${open} (the decoder could not open it)`,
      { exitCode: outcome.exitCode },
    );
  }
  if (failed && !unreadable) {
    const said = outcome.lastLine ? `: ${outcome.lastLine}` : '';
    // The errno travels as the cause, as Node's own fs errors carry it,
    // so callers can tell a full disk (wait) from a broken run (retry).
    const cause = outcome.outOfSpace
      ? Object.assign(new Error(`ffmpeg could not write: ${outcome.outOfSpace}`), {
          code: outcome.outOfSpace,
        })
      : undefined;
    return new MediaError(
      'transcode_failed',
      `ffmpeg failed (exit code ${outcome.exitCode})${said}`,
      { exitCode: outcome.exitCode },
      { cause },
    );
  }

  // Nothing decoded from a file cut short is still the cut file: the
  // person is told so, with the length its header declares.
  if (decodedS === 0 && outcome.cutShort && isTruncated(header, 0)) {
    return truncatedError(header, 0);
  }
  if (decodedS === 0) {
    return new MediaError(
      'undecodable',
      `no audio could be decoded: ${reason}`,
      { exitCode: outcome.exitCode },
    );
  }
  // However little decoded (a few stray samples, less than one mp3
  // frame), a header that declares far more is SPEC §3's truncated
  // source: a client told `truncated` tells its person the file is cut.
  if (isTruncated(header, decodedS)) return truncatedError(header, decodedS);

  if (outcome.exitCode === EXIT_ERROR_RATE) {
    return new MediaError(
      'undecodable',
      `most of the audio could not be decoded (` +
        `${formatSeconds(decodedS)} s did): ${reason}`,
      { decodedDurationS: decodedS },
    );
  }

  if (decodedS < MIN_DECODED_S) {
    // Rounded down: 551 samples at 22.05 kHz (0.02499 s) must not read as
    // the 0.025 s it falls short of.
    const shown =
      decodedS < 0.001
        ? 'under 0.001'
        : formatSeconds(Math.floor(decodedS * 1000 + 1e-9) / 1000);
    return new MediaError(
      'too_short',
      `only ${shown} s of audio could be decoded, ` +
        `too short to publish`,
      { decodedDurationS: decodedS },
    );
  }
  return null;
}

/** SPEC §3's truncated source: both durations, for the person who sent it. */
function truncatedError(header: HeaderClaim, decodedS: number): MediaError {
  const declared = formatSeconds(header.durationS ?? 0);
  const decoded = decodedS > 0 && decodedS < 0.001 ? 'under 0.001' : formatSeconds(decodedS);
  return new MediaError(
    'truncated',
    `truncated: header says ${declared} s, ${decoded} s decodable`,
    { headerDurationS: header.durationS, decodedDurationS: decodedS },
  );
}

/** What the verifier learnt about one written rendition. */
export interface RenditionFacts {
  format: OutputFormat;
  audioStreams: number;
  /** Streams other than audio that are not an attached picture. */
  otherStreams: number;
  pictures: number;
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  bitDepth: number | null;
  decodedS: number;
}

/** What the policy asked for. */
export interface RenditionExpectation {
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  bitDepth: number | null;
  durationS: number;
}

/** Every way a rendition misses its expectation; empty when it passes. */
export function renditionProblems(
  facts: RenditionFacts,
  expected: RenditionExpectation,
): string[] {
  const problems: string[] = [];

  if (facts.audioStreams !== 1) {
    problems.push(`${facts.audioStreams} audio streams instead of 1`);
  }
  if (facts.otherStreams > 0) {
    problems.push(`${facts.otherStreams} unexpected non-audio streams`);
  }
  if (facts.format !== 'mp3' && facts.pictures > 0) {
    problems.push('a cover picture became a stream');
  }
  if (!withinTolerance(facts.decodedS, expected.durationS)) {
    problems.push(
      `decodes to ${facts.decodedS.toFixed(3)} s, source ` +
        `${expected.durationS.toFixed(3)} s`,
    );
  }

  const fields = ['codec', 'sampleRate', 'channels', 'bitDepth'] as const;
  for (const field of fields) {
    const want = expected[field];
    if (want !== null && facts[field] !== want) {
      problems.push(`${field} is ${facts[field]}, expected ${want}`);
    }
  }
  return problems;
}

/**
 * Why the sources of one upload are not one recording, or null when they
 * are: a second source (an mp3 given beside the wav) becomes the
 * rendition of its format as it is, so it must decode to the primary
 * source's length, as a rendition must (the first source is primary).
 */
export function differentRecording(
  sources: Array<{ container: string; decodedS: number }>,
): MediaError | null {
  const [primary, ...others] = sources;
  const other = others.find(
    (o) => !withinTolerance(o.decodedS, primary.decodedS),
  );
  if (!other) return null;
  return new MediaError(
    'verification_failed',
    `the ${other.container} source decodes to ` +
      `${formatSeconds(other.decodedS)} s but the ${primary.container} ` +
      `source to ${formatSeconds(primary.decodedS)} s: the sources of one ` +
      'upload must be the same recording. Upload the right files again; ' +
      'to keep both as separate tracks, give them file names that differ ' +
      'before the extension (not only in case), or upload them to different ' +
      'jobs (job_id)',
    {
      format: other.container,
      decodedDurationS: other.decodedS,
      primaryDurationS: primary.decodedS,
    },
  );
}
