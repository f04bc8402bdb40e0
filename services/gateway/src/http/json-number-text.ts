import { ApiError } from '@ingest/core';

/** A number of a JSON text as written, and where it stands. */
export interface NumberText {
  /** Keys from the top (an array item by its index): `['meta', 'BPM']`. */
  path: string[];
  /** The number as the text has it: `1e-400`. */
  text: string;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The numbers of a JSON text that `JSON.parse` does not read as written:
 * a value that prints back as other digits (`1e-400` reads as 0,
 * `120.00000000000000001` as 120, `12345678901234567890` as
 * …567000, `1e400` as Infinity). `1.50`, `1e1` and `-0` read exactly.
 * Only for a text `JSON.parse` took: nothing here checks the syntax.
 * `wanted` picks the paths looked at, by their container's path; it is
 * handed one array, kept up to date in place, to read and not keep:
 * a copy per number would cost depth × numbers, which a body of a few
 * hundred KiB nested deep makes minutes of one core. A number under a
 * key that its object gives again later is not found: JSON.parse keeps
 * the later value.
 */
export function inexactNumbers(
  json: string,
  wanted: (parent: readonly string[]) => boolean,
): NumberText[] {
  const found: Array<NumberText & { members: Member[] }> = [];
  // One frame per open object or array, and its key or index in `path`.
  const frames: Frame[] = [];
  const path: string[] = [];
  let keyNext = false;
  for (let i = 0; i < json.length; ) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      const frame = frames.at(-1);
      if (keyNext && frame) {
        const key = JSON.parse(json.slice(i, end)) as string;
        path[path.length - 1] = key;
        frame.last.set(key, frame.index);
      }
      keyNext = false;
      i = end;
    } else if (c === '{' || c === '[') {
      frames.push({ array: c === '[', index: 0, last: new Map() });
      path.push('0');
      keyNext = c === '{';
      i++;
    } else if (c === '}' || c === ']') {
      frames.pop();
      path.pop();
      i++;
    } else if (c === ',') {
      const frame = frames.at(-1);
      if (frame) frame.index++;
      if (frame?.array) path[path.length - 1] = String(frame.index);
      keyNext = !frame?.array;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const text = NUMBER.exec(json)![0];
      if (inWanted(path, wanted) && !readsExactly(text)) {
        found.push({ path: [...path], text, members: membersOf(frames, path) });
      }
      i += text.length;
    } else {
      i++;
    }
  }
  // Of a key given twice in one object, JSON keeps the last value.
  return found
    .filter(({ members }) => members.every((m) => m.frame.last.get(m.key) === m.index))
    .map(({ path: at, text }) => ({ path: at, text }));
}

/** An open object or array while the text is scanned. */
interface Frame {
  array: boolean;
  /** Which of its members (or items) the scan is in, from 0. */
  index: number;
  /** An object's keys, each with the member it was last given in. */
  last: Map<string, number>;
}

/** One object member a number stands in: by its key, in its object. */
interface Member {
  frame: Frame;
  key: string;
  index: number;
}

function membersOf(frames: Frame[], path: string[]): Member[] {
  return frames.flatMap((frame, depth) =>
    frame.array ? [] : [{ frame, key: path[depth], index: frame.index }],
  );
}

/** Asks `wanted` of the container of `path`'s last entry, in place. */
function inWanted(
  path: string[],
  wanted: (parent: readonly string[]) => boolean,
): boolean {
  if (path.length === 0) return wanted(path);
  const last = path.pop() as string;
  try {
    return wanted(path);
  } finally {
    path.push(last);
  }
}

/** Where a JSON string that starts at `start` (its quote) ends, past it. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === '\\') i++;
    else if (json[i] === '"') return i + 1;
  }
  return json.length;
}

/**
 * True when the number `text` is what JSON reads it as: it prints back as
 * the same value, or it is that double written out to more digits than
 * it needs, correctly rounded, as `%.17g` or PHP with
 * `serialize_precision = 17` write one (`92.299999999999997` is the
 * double nearest 92.3, kept as `92.3`).
 */
function readsExactly(text: string): boolean {
  const written = decimal(text);
  const value = Number(text);
  if (written === undefined || !Number.isFinite(value)) return false;
  if (sameDecimal(written, decimal(String(value)))) return true;
  const digits = written.digits.replace(/^-/, '').length;
  if (digits > 100 || (value === 0 && written.digits !== '0')) return false;
  return sameDecimal(written, decimal(value.toPrecision(digits)));
}

function sameDecimal(
  a: { digits: string; exponent: number },
  b: { digits: string; exponent: number } | undefined,
): boolean {
  return b !== undefined && a.digits === b.digits && a.exponent === b.exponent;
}

/**
 * A decimal number as its significant digits and their power of ten
 * (`-1.50e3` → `-15`, 2): equal for equal values. Infinity is none.
 */
function decimal(text: string) {
  const parts = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!parts) return undefined;
  const [, sign, whole, fraction = '', power = '0'] = parts;
  const all = (whole + fraction).replace(/^0+/, '');
  if (!all) return { digits: '0', exponent: 0 };
  const digits = all.replace(/0+$/, '');
  const exponent =
    Number(power) - fraction.length + (all.length - digits.length);
  return { digits: sign + digits, exponent };
}

/**
 * Refuses a meta value written in a JSON text as a number that JSON reads
 * as other digits: meta is text, kept as the client means it, and the
 * value read would be stored silently changed. Both meta forms of a body
 * are looked at: `{"meta": {"BPM": …}}` and `{"meta[BPM]": …}`. `parsed`
 * is what JSON.parse made of `json`: a text is only scanned when it holds
 * a meta number at all.
 */
export function refuseInexactMeta(json: string, parsed: unknown): void {
  if (!hasMetaNumber(parsed)) return;
  const [first] = inexactNumbers(json, (parent) =>
    parent.length === 0 || (parent.length === 1 && parent[0] === 'meta'),
  ).filter(({ path }) => path.length === 2 || path[0].startsWith('meta['));
  if (!first) return;

  const [top, field] = first.path;
  const name = (field === undefined ? top : `meta[${field}]`).slice(0, 100);
  const shown = first.text.length > 40 ? `${first.text.slice(0, 40)}…` : first.text;
  throw new ApiError(
    'invalid_parameter',
    `${name} is a JSON number that cannot be read exactly ` +
      `(${shown} reads as ${String(Number(first.text))}); send it as a string`,
    { parameters: [name] },
  );
}

function hasMetaNumber(parsed: unknown): boolean {
  if (!isObject(parsed)) return false;
  return Object.entries(parsed).some(([key, value]) =>
    key === 'meta'
      ? isObject(value) && Object.values(value).some((v) => typeof v === 'number')
      : key.startsWith('meta[') && typeof value === 'number',
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
