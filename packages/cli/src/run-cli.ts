import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  IngestApiError,
  IngestClient,
  IngestNetworkError,
} from '@ingest/client';
import { loadConfig } from './cli-config';
import { CliOutput, type OutputStream } from './cli-output';
import type { Command, OptionSpecs } from './command';
import { COMMANDS } from './commands/index';
import { describeError } from './describe-error';
import { CliUsageError, EXIT, type ExitCode } from './exit-codes';
import { RetryNotes } from './retry-notes';
import { TempFiles } from './temp-files';
import { unknownOptionLine } from './unknown-option';

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Default: process.env, read only by cli-config. */
  env?: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: waits stop and the bar is put away. */
  signal?: AbortSignal;
  /** Temp files being written, for a forced exit to remove. */
  tempFiles?: TempFiles;
  /** Makes the SDK client; tests may wrap it. */
  makeClient?: (config: { url: string; token: string }) => IngestClient;
}

const GLOBAL_OPTIONS: OptionSpecs = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
};

const GLOBAL_HELP = `  --url URL       gateway base URL (or INGEST_URL)
  --token TOKEN   site API token (or INGEST_TOKEN)
  --json          print one JSON document on stdout and nothing else
  -h, --help      this help
  -V, --version   print the version and exit`;

const EXIT_HELP = `Exit codes: 0 ok, 1 usage (or a local error such as an unwritable
folder, or nothing there to download), 2 API error, 3 job completed with
errored uploads, 4 timed out waiting, 5 download of a job still
publishing (what is published so far), 6 the site's storage quota is
full (upload), 130 interrupted.`;

/** Runs one command line; answers the exit code. */
export async function runCli(given: string[], io: CliIo): Promise<ExitCode> {
  const argv = dashedValuesJoined(given);
  const json = argv.includes('--json');
  const out = new CliOutput(io.stdout, io.stderr, json);
  try {
    return await dispatch(argv, io, out);
  } catch (err) {
    return report(err, out);
  }
}

async function dispatch(
  argv: string[],
  io: CliIo,
  out: CliOutput,
): Promise<ExitCode> {
  const name = commandName(argv);
  const command = COMMANDS.find((c) => c.name === name);
  const helpAsked = argv.includes('--help') || argv.includes('-h');
  if (name === undefined && !helpAsked && (argv.includes('--version') || argv.includes('-V'))) {
    return version(io, out);
  }
  if (!command) {
    if (name === undefined || name === 'help') {
      const asked = name === 'help' || helpAsked;
      (asked ? io.stdout : io.stderr).write(overview());
      if (asked) return EXIT.ok;
      // `--json` promises a document on stdout, on this path too.
      out.result({ error: 'no command given', code: 'usage' });
      return EXIT.usage;
    }
    throw new CliUsageError(`unknown command: ${name} (see ingest --help)`);
  }

  const { values, positionals } = parseCommandLine(command, argv);
  if (values.help) {
    io.stdout.write(`${command.usage}\n\n${GLOBAL_HELP}\n`);
    return EXIT.ok;
  }
  if (values.version) return version(io, out);
  const operands = positionals.slice(1);
  if (operands.length > 0 && !command.takesOperands) {
    throw new CliUsageError(
      `${command.name} takes no arguments, got: ${operands.join(' ')} ` +
        `(options such as --job ID name what it works on; see ingest ` +
        `${command.name} --help)`,
    );
  }
  const config = loadConfig(
    { url: values.url as string, token: values.token as string },
    io.env,
  );
  const notes = new RetryNotes(out);
  const client =
    io.makeClient?.(config) ??
    new IngestClient({ ...config, onRetry: (event) => notes.told(event) });
  return command.run({
    client,
    out,
    values,
    positionals: operands,
    signal: io.signal,
    tempFiles: io.tempFiles ?? new TempFiles(),
    notes,
  });
}

/** `ingest --version`: this package's version, as `ingest 0.1.0`. */
function version(io: CliIo, out: CliOutput): ExitCode {
  const manifest = new URL('../package.json', import.meta.url);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  if (out.json) out.result({ version });
  else io.stdout.write(`ingest ${version}\n`);
  return EXIT.ok;
}

/** Options taking a number, which parseArgs refused as `--job -1`. */
const NUMBER_OPTIONS = ['--job', '--timeout', '--interval', '--slot-wait'];

/**
 * `--token X` as `--token=X`. A token may start with a dash (`npm start`
 * and `site:create` make base64url ones, `-` among their letters), and
 * parseArgs refused `--token -eaD…` as an option without its value.
 * `--token` always takes one, so the next word is it; after `--` nothing
 * is an option. So is a number option's next word starting with one
 * dash, not a short option (`--job -1`): Node called it "ambiguous",
 * where the option's own check says what it takes.
 */
function dashedValuesJoined(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--') return [...joined, ...argv.slice(i)];
    const next = argv[i + 1] ?? '';
    const dashed = /^-(?!-)/.test(next) && !['-h', '-V'].includes(next);
    if (
      i + 1 < argv.length &&
      (argv[i] === '--token' || (NUMBER_OPTIONS.includes(argv[i]) && dashed))
    ) {
      joined.push(`${argv[i]}=${argv[i + 1]}`);
      i += 1;
    } else {
      joined.push(argv[i]);
    }
  }
  return joined;
}

/** The first word that is not an option (nor a global option's value). */
function commandName(argv: string[]): string | undefined {
  const { tokens } = parseArgs({
    args: argv,
    options: GLOBAL_OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const first = tokens.find((t) => t.kind === 'positional');
  return first?.kind === 'positional' ? first.value : undefined;
}

function parseCommandLine(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // Node words some of these on several lines ("argument is ambiguous").
    const said =
      unknownOptionLine(err, command, COMMANDS, GLOBAL_OPTIONS) ??
      (err as Error).message.replace(/\s*\n\s*/g, ' ');
    throw new CliUsageError(`${said} (see ingest ${command.name} --help)`);
  }
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return [
    'Usage: ingest <command> [options]',
    '',
    'Commands:',
    ...list,
    '',
    'Options for every command:',
    GLOBAL_HELP,
    '',
    EXIT_HELP,
    'Run ingest <command> --help for its options.',
    '',
  ].join('\n');
}

function report(err: unknown, out: CliOutput): ExitCode {
  if (err instanceof CliUsageError) {
    out.note(err.message);
    out.result({ error: err.message, code: 'usage' });
    return EXIT.usage;
  }
  if (err instanceof IngestApiError || err instanceof IngestNetworkError) {
    const described = describeError(err);
    const status = 'status' in described ? `, HTTP ${described.status}` : '';
    out.note(`${described.error} [${described.code}${status}]`);
    out.result(described);
    return EXIT.api;
  }
  if (err instanceof Error && err.name === 'AbortError') {
    out.note('interrupted');
    out.result({ error: 'interrupted', code: 'interrupted' });
    return EXIT.interrupted;
  }
  // Local trouble (a folder that cannot be written, a file gone while
  // read) or a bug: say what happened, with the stack only for bugs.
  const message = err instanceof Error ? err.message : String(err);
  const local = err instanceof Error && 'syscall' in err;
  const stack = err instanceof Error ? err.stack : message;
  out.note(local ? message : `unexpected error: ${stack}`);
  out.result({ error: message, code: local ? 'local_error' : 'internal' });
  return EXIT.usage;
}
