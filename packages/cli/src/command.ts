import type { ParseArgsConfig } from 'node:util';
import type { IngestClient } from '@ingest/client';
import type { CliOutput } from './cli-output';
import type { ExitCode } from './exit-codes';
import type { RetryNotes } from './retry-notes';
import type { TempFiles } from './temp-files';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<
  string,
  string | boolean | Array<string | boolean> | undefined
>;

export interface CommandContext {
  client: IngestClient;
  out: CliOutput;
  values: OptionValues;
  positionals: string[];
  /** Aborted on Ctrl-C: the command stops and reports what it did. */
  signal?: AbortSignal;
  tempFiles: TempFiles;
  /** Notes of waits and retries, not repeated too often. */
  notes: RetryNotes;
}

/** One `ingest <name>` command. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Its synopsis and option help, for `ingest <name> --help`. */
  usage: string;
  options: OptionSpecs;
  /**
   * Takes operands after its name (`upload a.wav`). Others refuse any:
   * `ingest publish 7` must not publish the main job instead of job 7.
   */
  takesOperands?: boolean;
  run(ctx: CommandContext): Promise<ExitCode>;
}
