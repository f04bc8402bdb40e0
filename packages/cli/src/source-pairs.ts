import path from 'node:path';
import { displayName, matchStemOf } from '@ingest/core';
import { createMediaTools, durationTolerance } from '@ingest/media';
import type { UploadItem } from './source-collector';

/**
 * Header lengths of lossy files may be off by a frame or two (encoder
 * delay, a length estimated from the bitrate): below this many seconds
 * apart, two files are not told apart before sending.
 */
const CLEAR_DIFFERENCE_S = 0.5;

/** Longest one ffprobe run may take before its file counts as unread. */
const PROBE_TIMEOUT_MS = 30_000;

/** ffprobe runs at once. */
const PROBES_AT_ONCE = 4;

/** Seconds of audio a file holds, or why that is not known. */
export type LengthProbe = (
  file: string,
  signal?: AbortSignal,
) => Promise<number | string>;

export interface PairedSource {
  source: string;
  /** An upload already in the job, that the others would join. */
  upload_id?: number;
  /** Seconds, as the file's header says; null when not known. */
  duration_s: number | null;
  /** Why the length is not known. */
  unread?: string;
}

/**
 * Sources of one run that the gateway will join as one upload (same
 * name, other extension), and why that is most likely not meant.
 */
export interface PairProblem {
  problem: 'lengths_differ' | 'lengths_unknown';
  files: PairedSource[];
}

/**
 * Groups of sources that the gateway joins as one upload's sources (same
 * name before the extension, any case, another extension: SPEC's
 * secondary-sources rule), in the order they are sent.
 */
export function pairedGroups(items: UploadItem[]): UploadItem[][] {
  const byStem = new Map<string, UploadItem[]>();
  for (const item of items) {
    // A name without an extension never matches another.
    const stem = extOf(item.name) === '' ? '' : stemOf(item.name);
    if (stem === '') continue;
    byStem.set(stem, [...(byStem.get(stem) ?? []), item]);
  }
  return [...byStem.values()].filter(
    (group) => new Set(group.map((i) => extOf(i.name))).size > 1,
  );
}

/**
 * The groups of sources that would become one upload but are most
 * likely different recordings: lengths that differ clearly (the upload
 * would fail `verification_failed` after publish, losing both), or, in
 * more than one folder (`cd1/01.wav`, `cd2/01.flac`), lengths that
 * cannot be compared. Files of one folder whose lengths cannot be read
 * are the documented pairing (`song.wav`, `song.mp3`) and pass.
 */
export async function pairProblems(
  items: UploadItem[],
  probe: LengthProbe,
  signal?: AbortSignal,
): Promise<PairProblem[]> {
  const problems: PairProblem[] = [];
  for (const group of pairedGroups(items)) {
    const files = await lengthsOf(group, probe, signal);
    const [first, ...others] = files.map((f) => f.duration_s);
    const known = first !== null && others.every((d) => d !== null);
    if (known && others.some((d) => lengthsApart(first, d!))) {
      problems.push({ problem: 'lengths_differ', files });
    } else if (!known && new Set(group.map(folderOf)).size > 1) {
      problems.push({ problem: 'lengths_unknown', files });
    }
  }
  return problems;
}

/**
 * Two lengths (seconds, from headers) too far apart for one recording:
 * past the gateway's check, and past what headers may be off by.
 */
export function lengthsApart(first: number, other: number): boolean {
  return (
    Math.abs(other - first) > Math.max(durationTolerance(first), CLEAR_DIFFERENCE_S)
  );
}

/** One line for people per problem. */
export function describePairProblem({ problem, files }: PairProblem): string {
  const names = files.map(shownLength).join(', ');
  if (problem === 'lengths_differ') {
    return (
      `${names}: same name, other extension, so one upload, but of ` +
      'other lengths: it would fail (verification_failed) after publish'
    );
  }
  return (
    `${names}: same name, other extension, in different folders, so one ` +
    'upload; their lengths could not be compared'
  );
}

function shownLength(file: PairedSource): string {
  if (file.duration_s !== null) {
    return `${file.source} (${file.duration_s.toFixed(1)} s)`;
  }
  return `${file.source} (length unknown: ${file.unread})`;
}

async function lengthsOf(
  group: UploadItem[],
  probe: LengthProbe,
  signal?: AbortSignal,
): Promise<PairedSource[]> {
  const files: PairedSource[] = [];
  for (let at = 0; at < group.length; at += PROBES_AT_ONCE) {
    const batch = group.slice(at, at + PROBES_AT_ONCE);
    files.push(...(await Promise.all(batch.map((i) => lengthOf(i, probe, signal)))));
  }
  return files;
}

export async function lengthOf(
  item: UploadItem,
  probe: LengthProbe,
  signal?: AbortSignal,
): Promise<PairedSource> {
  if (item.kind === 'url') {
    return { source: item.url, duration_s: null, unread: 'a URL is not fetched' };
  }
  const length = await probe(item.path, signal);
  signal?.throwIfAborted();
  if (typeof length === 'number') return { source: item.path, duration_s: length };
  return { source: item.path, duration_s: null, unread: length };
}

/** Lengths as files' headers give them, read by ffprobe (@ingest/media). */
export function headerLengths(): LengthProbe {
  const tools = createMediaTools({ timeoutMs: PROBE_TIMEOUT_MS });
  return async (file, signal) => {
    try {
      const probed = await tools.probeSource(file, { signal });
      return probed.headerDurationS ?? 'its header gives none';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
}

/**
 * As the gateway matches names, by its own rule: the name as it keeps
 * it (its last segment, without control characters, cut to 255
 * characters), then lower case, without the extension, its accents
 * composed (NFC) and cut as a long name's stem is. A long local name
 * thus pairs with the cut `file_name` the gateway lists for its upload.
 */
export function stemOf(name: string): string {
  return matchStemOf(displayName(name));
}

/** The extension of the name as the gateway keeps it, lower case. */
export function extOf(name: string): string {
  return path.extname(displayName(name)).toLowerCase();
}

function folderOf(item: UploadItem): string {
  if (item.kind === 'file') return path.dirname(path.resolve(item.path));
  const url = new URL(item.url);
  return url.origin + path.posix.dirname(url.pathname);
}
