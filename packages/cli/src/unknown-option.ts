import type { Command, OptionSpecs } from './command';

/**
 * What to say of an option `command` does not take, or undefined when
 * `err` is not parseArgs refusing one. Node's own words ended in advice
 * on positional arguments starting with `-` (`'-- "--fromats"`, a quote
 * left open): of no use to someone who mistyped `--formats`, or gave
 * `status` the `--wait` of `publish`.
 */
export function unknownOptionLine(
  err: unknown,
  command: Command,
  all: readonly Command[],
  globals: OptionSpecs,
): string | undefined {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return undefined;
  }
  const given = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
  if (given === undefined) return undefined;
  const said = `Unknown option '${given}' for ${command.name}`;
  const name = given.replace(/^-+/, '').split('=')[0];
  // Another command's option, given as it is spelt, was not mistyped.
  const others = all.filter((c) => c !== command && Object.hasOwn(c.options, name));
  if (others.length > 0) {
    return `${said}: it is an option of ${others.map((c) => c.name).join(', ')}`;
  }
  const own = [...Object.keys(command.options), ...Object.keys(globals)];
  const meant = closest(name, own);
  return meant === undefined ? said : `${said} (did you mean --${meant}?)`;
}

/** The option name within two edits of `name` (case aside), if one. */
function closest(name: string, options: string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: { option: string; distance: number } | undefined;
  for (const option of options) {
    const distance = editDistance(wanted, option.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) {
      best = { option, distance };
    }
  }
  return best?.option;
}

/** Levenshtein distance, a transposition counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}
