import type { Meta } from '@ingest/core';

/**
 * The metadata fields a track is found by, beside its `Filename` (see
 * `fileNameStem`).
 */
export const SEARCH_FIELDS = [
  'Title',
  'Artist',
  'Album',
  'Composer',
  'Genre',
  'ISRC',
] as const;

/** Longer runs are cut: a token is a Redis key part. */
const MAX_TOKEN_CHARS = 64;

/** Queries with more words are cut; each word is one set to intersect. */
export const MAX_QUERY_TOKENS = 32;

/**
 * Scripts written without spaces between words. Each character and each
 * pair of neighbours is a token, so any run of two or more characters
 * of a title is found by its pairs.
 */
const CJK =
  '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Hangul}';
const WORD = /[\p{L}\p{N}]+/gu;
const RUNS = new RegExp(`[${CJK}]+|[^${CJK}]+`, 'gu');
const IS_CJK = new RegExp(`^[${CJK}]`, 'u');
const HAS_CJK = new RegExp(`[${CJK}]`, 'u');

/**
 * Lower case with accents folded: NFKD splits "é" into "e" and a mark,
 * the marks go, and NFC puts Hangul syllables back together. Full-width
 * letters and half-width kana become their ordinary forms.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC')
    .toLowerCase();
}

interface Run {
  text: string[];
  cjk: boolean;
}

function runsOf(text: string): Run[] {
  const runs: Run[] = [];
  for (const word of foldText(text).match(WORD) ?? []) {
    for (const run of word.match(RUNS) ?? []) {
      const chars = Array.from(run).slice(0, MAX_TOKEN_CHARS);
      runs.push({ text: chars, cjk: IS_CJK.test(run) });
    }
  }
  return runs;
}

function pairsOf(chars: string[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    pairs.push(chars[i] + chars[i + 1]);
  }
  return pairs;
}

/**
 * Marks that join the parts of one word: `don't`, `hip-hop`. Not a dot,
 * which more often parts a file name (`take 2.final`) than joins a word.
 */
const JOINERS = /['’-]/g;

/** A word of parts joined by those marks. */
const JOINED = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)+/gu;

/**
 * Joined words written without their joining marks (`dont`, `hiphop`):
 * people type them so, and found "Don't" only as `don't`.
 */
function joinedWords(text: string): string[] {
  const words = foldText(text).match(JOINED) ?? [];
  // CJK text is found by its pairs already, across any mark.
  return words
    .filter((word) => !HAS_CJK.test(word))
    .map((word) => Array.from(word.replace(JOINERS, '')))
    .map((chars) => chars.slice(0, MAX_TOKEN_CHARS).join(''));
}

/** Every token a piece of text is indexed under. */
export function textTokens(text: string): string[] {
  const tokens = new Set<string>();
  for (const run of runsOf(text)) {
    if (!run.cjk) {
      tokens.add(run.text.join(''));
      continue;
    }
    for (const char of run.text) tokens.add(char);
    for (const pair of pairsOf(run.text)) tokens.add(pair);
  }
  for (const word of joinedWords(text)) tokens.add(word);
  return [...tokens];
}

/**
 * The extensions of audio files, which no word of a recording's name is;
 * any other ending stays (`Mr. Brightside`, a name taken from a URL).
 */
const AUDIO_EXTENSIONS =
  'wav|wave|bwf|rf64|w64|mp3|mp2|aiff?|aifc|flac|ogg|oga|opus|m4a|aac|caf|' +
  'dsf|dff|wma|mka|mp4|wv|ape';
const AUDIO_EXTENSION_AT_END = new RegExp(`([^.])\\.(?:${AUDIO_EXTENSIONS})$`, 'iu');

/**
 * The searched part of a `Filename`: its last path segment without an
 * audio extension. Untagged masters are known by it alone; the extension is
 * left out, since "wav" would find every WAV master and is no word of
 * the recording (a track's formats are not its name).
 */
export function fileNameStem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base.replace(AUDIO_EXTENSION_AT_END, '$1');
}

/**
 * The tokens of a track's searchable fields and file name stem. An ISRC
 * is also indexed without its hyphens, as it is usually typed.
 */
export function trackTokens(meta: Meta): string[] {
  const tokens = new Set<string>();
  const texts = SEARCH_FIELDS.map((field) => meta[field]);
  if (meta.Filename) texts.push(fileNameStem(meta.Filename));
  for (const text of texts) {
    if (!text) continue;
    for (const token of textTokens(text)) tokens.add(token);
  }
  const isrc = meta.ISRC?.replace(/[^0-9a-z]/gi, '');
  if (isrc) tokens.add(isrc.toLowerCase());
  return [...tokens].sort();
}

export interface SearchQuery {
  /** Tokens a track must have, each. */
  exact: string[];
  /** The last word, matched as the start of any token; '' when none. */
  prefix: string;
}

/**
 * An audio file's extension ending a word of the query (`take1.wav`,
 * `take1.wav drums`): dropped, as the index drops it from `Filename`
 * (fileNameStem), so the name a track shows finds it wherever it
 * stands in the query. A word ends where no letter, digit or dot
 * follows: in `song.mp3.part` the `.mp3` is part of the name, and
 * indexed as such.
 */
const FILE_EXTENSION = new RegExp(
  `(?<=[^\\s.])\\.(?:${AUDIO_EXTENSIONS})(?![\\p{L}\\p{N}.])`,
  'giu',
);

/**
 * An ISRC as it is usually shown, in hyphens (`US-EE1-14-00516`). The
 * index holds every ISRC compact too (trackTokens), so a query writes it
 * compact: by its four parts it found only ISRCs tagged with hyphens.
 * Not one joined by a mark to more (`US-EE1-14-00516-Final`, a file
 * name): the index holds that word whole or by its parts, never the ISRC
 * compact alone, so compacted it found nothing.
 */
const HYPHENATED_ISRC =
  /(?<![\p{L}\p{N}]['’-]?)([A-Z]{2})-?([A-Z\d]{3})-?(\d{2})-?(\d{5})(?!['’-]?[\p{L}\p{N}])/giu;

/** Prefixes shorter than this match whole tokens only. */
export const MIN_PREFIX_CHARS = 2;

/**
 * Tokens of a query: every word must match; the last word also matches
 * as a prefix ("caf" finds "Café") when it is not CJK (pairs already
 * match inside CJK text). Each word is read without an audio file's
 * extension it ends in (FILE_EXTENSION), and an ISRC in hyphens as one
 * word. A CJK word of one character matches that character; longer
 * ones match by their pairs.
 */
export function queryTokens(text: string): SearchQuery {
  const words = text
    .replace(FILE_EXTENSION, '')
    .replace(HYPHENATED_ISRC, '$1$2$3$4');
  const runs = runsOf(words);
  const exact = new Set<string>();
  let prefix = '';

  runs.forEach((run, index) => {
    if (run.cjk) {
      const pairs = pairsOf(run.text);
      for (const token of pairs.length ? pairs : run.text) exact.add(token);
      return;
    }
    const token = run.text.join('');
    const last = index === runs.length - 1;
    if (last && run.text.length >= MIN_PREFIX_CHARS) prefix = token;
    else exact.add(token);
  });

  if (prefix) exact.delete(prefix);
  const capped = [...exact].slice(0, MAX_QUERY_TOKENS);
  return { exact: capped, prefix };
}
