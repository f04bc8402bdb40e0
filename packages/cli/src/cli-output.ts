import type { Writable } from 'node:stream';

/** A stream the CLI writes to; `isTTY` as process.stdout has it. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

/**
 * Where results and messages go. With `--json`, stdout carries one JSON
 * document and nothing else; people's messages go to stderr either way.
 */
export class CliOutput {
  constructor(
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    readonly json: boolean,
  ) {}

  /** True when a person watches stdout and no JSON is asked for. */
  get interactive(): boolean {
    return !this.json && this.stdout.isTTY === true;
  }

  /** A line of human output; dropped under `--json`. */
  line(text: string): void {
    if (!this.json) this.stdout.write(`${visible(text)}\n`);
  }

  /** A warning or note for a person, on stderr. */
  note(text: string): void {
    this.stderr.write(`ingest: ${visible(text)}\n`);
  }

  /** The command's JSON result; written only under `--json`. */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/**
 * Control characters as `\xNN`: file names and the gateway's texts go
 * into these lines, and a raw ESC or CR would drive the terminal
 * (retitle it, hide or overwrite text). Tabs and line breaks stay: our
 * own messages (a stack, parseArgs' hints) span lines.
 */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * A name (a file's, a URL) as one line: a line break or tab in it as
 * `\n`, `\t` (the rest as visible() has it), so a crafted name cannot
 * print a line of its own, such as a fake `uploaded …`.
 */
export function oneLine(name: string): string {
  return name.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
