import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

import { assertExecutable, type BinaryPaths } from './binary-paths';
import { MediaError } from './media-error';
import { silentLogger, type MediaLogger } from './media-logger';
import { watchOutputs, type OutputLimit } from './output-watch';

/**
 * The only place that starts ffmpeg or ffprobe. Processes are spawned with
 * argument arrays (no shell), so client-supplied values reach the binary
 * as single argv elements whatever characters they hold.
 *
 * fluent-ffmpeg is installed but deliberately not used: the single-pass
 * transcode needs extra output pipes (fd 3, 4, …) to count decoded samples,
 * per-input option placement and AbortSignal support, which its builder
 * does not offer, and the project should not grow on an archived library.
 */

export type ToolName = 'ffmpeg' | 'ffprobe';

export interface RunSpec {
  tool: ToolName;
  args: readonly string[];
  /** Kill the process (SIGKILL) after this many milliseconds. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Number of extra pipes handed to the child as fd 3, 4, …; their bytes
   * are counted and discarded. ffmpeg writes to them via `pipe:3` etc.
   */
  countedPipes?: number;
  /**
   * Bytes a second of audio on each counted pipe, when known: ffmpeg
   * writes a pipe a full buffer at a time, so a run's quiet is judged
   * against how long one buffer holds (overTime).
   */
  countingRates?: readonly number[];
  /** Keep stdout (ffprobe JSON). Otherwise it is discarded. */
  captureStdout?: boolean;
  /**
   * Files the run writes, each with the size at which the run is
   * stopped (output-watch.ts): `-fs` alone does not stop one output.
   */
  outputLimits?: readonly OutputLimit[];
}

export interface RunResult {
  exitCode: number | null;
  stdout: string;
  /** First stderr lines: where the first decoder complaint usually is. */
  stderrHead: string[];
  /** Last stderr lines: where ffmpeg says why it gave up. */
  stderrTail: string[];
  /** Bytes seen on each counted pipe, in fd order. */
  countedBytes: number[];
  elapsedMs: number;
  /** The output that reached its limit, when the run was so stopped. */
  outputFull?: string;
}

export interface ToolRunner {
  run(spec: RunSpec): Promise<RunResult>;
}

const HEAD_LINES = 20;
const TAIL_LINES = 30;
// ffprobe output is small JSON; anything bigger means a runaway file.
const MAX_STDOUT_BYTES = 32 * 1024 * 1024;

export function createToolRunner(
  paths: BinaryPaths,
  logger: MediaLogger = silentLogger,
): ToolRunner {
  const checked = new Map<ToolName, Promise<void>>();

  function binaryOf(tool: ToolName): string {
    return tool === 'ffmpeg' ? paths.ffmpegPath : paths.ffprobePath;
  }

  function ensureRunnable(tool: ToolName): Promise<void> {
    let pending = checked.get(tool);
    if (!pending) {
      pending = assertExecutable(tool, binaryOf(tool));
      // A failed check is retried next time: someone may chmod meanwhile.
      pending.catch(() => checked.delete(tool));
      checked.set(tool, pending);
    }
    return pending;
  }

  async function run(spec: RunSpec): Promise<RunResult> {
    await ensureRunnable(spec.tool);
    if (spec.signal?.aborted) {
      throw new MediaError('aborted', `${spec.tool} run aborted`);
    }

    const binary = binaryOf(spec.tool);
    logger.debug(
      { tool: spec.tool, binary, args: loggableArgs(spec.args) },
      'media run',
    );
    return runProcess(binary, spec, logger);
  }

  return { run };
}

function runProcess(
  binary: string,
  spec: RunSpec,
  logger: MediaLogger,
): Promise<RunResult> {
  const started = Date.now();
  const extra = spec.countedPipes ?? 0;
  const stdio: ('ignore' | 'pipe')[] = [
    'ignore',
    spec.captureStdout ? 'pipe' : 'ignore',
    'pipe',
    ...Array.from({ length: extra }, () => 'pipe' as const),
  ];

  return new Promise<RunResult>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(binary, [...spec.args], { stdio, shell: false });
    } catch (error) {
      // Some failures (E2BIG: arguments too long) throw at once instead
      // of arriving as an 'error' event.
      reject(spawnFailure(spec.tool, binary, error as NodeJS.ErrnoException));
      return;
    }
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    const countedBytes = new Array<number>(extra).fill(0);
    const stderr = new LineCollector();
    let failure: MediaError | undefined;

    const kill = (error: MediaError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };

    // When the run last put decoded audio on a counted pipe.
    let lastCounted = started;
    const timer = setTimeout(() => {
      const quietMs = extra > 0 ? Date.now() - lastCounted : undefined;
      kill(overTime(spec, quietMs));
    }, spec.timeoutMs);
    const onAbort = () =>
      kill(new MediaError('aborted', `${spec.tool} run aborted`));
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    let outputFull: string | undefined;
    const endWatch = watchOutputs(spec.outputLimits ?? [], (path) => {
      outputFull = path;
      child.kill('SIGKILL');
    });

    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        kill(
          new MediaError('probe_failed', `${spec.tool} output too large`),
        );
        return;
      }
      stdoutChunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    for (let i = 0; i < extra; i++) {
      const pipe = child.stdio[3 + i] as Readable;
      pipe.on('data', (chunk: Buffer) => {
        countedBytes[i] += chunk.length;
        lastCounted = Date.now();
      });
      // ffmpeg closing its end early is not our failure to report.
      pipe.on('error', () => {});
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= spawnFailure(spec.tool, binary, error);
    });

    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      endWatch();
      spec.signal?.removeEventListener('abort', onAbort);
      const result: RunResult = {
        exitCode,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderrHead: stderr.head(),
        stderrTail: stderr.tail(),
        countedBytes,
        elapsedMs: Date.now() - started,
        ...(outputFull === undefined ? {} : { outputFull }),
      };

      // Killed by a signal we did not send: the tool crashed (or the
      // machine killed it). Never the input's verdict, whatever the run.
      if (exitSignal && !failure && outputFull === undefined) {
        const said = result.stderrTail.at(-1);
        failure = new MediaError(
          'transcode_failed',
          `${spec.tool} was killed by ${exitSignal}` +
            (said ? `: ${readableToolLine(said)}` : ''),
          { tool: spec.tool, exitSignal },
        );
      }
      if (failure) {
        logger.warn(
          {
            tool: spec.tool,
            code: failure.code,
            exitSignal,
            stderr: result.stderrTail,
          },
          'media run failed',
        );
        reject(failure);
        return;
      }
      if (exitCode !== 0) {
        logger.warn(
          { tool: spec.tool, exitCode, stderr: result.stderrTail },
          'media run exited non-zero',
        );
      }
      resolve(result);
    });
  });
}

/** The longest quiet a run may end its time on and still count as busy. */
const MAX_STALL_WINDOW_MS = 60_000;

/**
 * Bytes ffmpeg gathers before it writes a counted pipe (its 32 KiB I/O
 * buffer, kept by `-flush_packets 0`): at 8 kHz, 4 s of audio.
 */
const COUNTED_BUFFER_BYTES = 32 * 1024;

/**
 * How long a run decoding at real time may put nothing on its pipes: the
 * audio one buffer holds on the slowest of them. Without it, a run of an
 * 8 kHz source decoding all along was told stalled under a short limit.
 */
function bufferedMs(spec: RunSpec): number {
  const rates = (spec.countingRates ?? []).filter((rate) => rate > 0);
  if (rates.length === 0) return 0;
  return (COUNTED_BUFFER_BYTES / Math.min(...rates)) * 1000;
}

/**
 * The error of a run stopped at its time limit. A run that counts its
 * decoded audio and put none out for the last half of its limit (or the
 * last minute), and for the audio one pipe buffer holds besides, was
 * stuck, not slow: `stalled`, which a caller need not retry. Otherwise
 * `timeout`: a busy machine may finish it next time.
 */
function overTime(spec: RunSpec, quietMs: number | undefined): MediaError {
  const window =
    Math.min(spec.timeoutMs / 2, MAX_STALL_WINDOW_MS) + bufferedMs(spec);
  if (quietMs !== undefined && quietMs >= window) {
    return new MediaError(
      'stalled',
      `${spec.tool} decoded nothing in its last ` +
        `${Math.round(quietMs / 1000)} s and was stopped at its time ` +
        `limit (${spec.timeoutMs} ms)`,
      { timeoutMs: spec.timeoutMs, quietMs },
    );
  }
  return new MediaError(
    'timeout',
    `${spec.tool} took longer than ${spec.timeoutMs} ms and was stopped`,
    { timeoutMs: spec.timeoutMs },
  );
}

function spawnFailure(
  tool: ToolName,
  binary: string,
  error: NodeJS.ErrnoException,
): MediaError {
  if (error.code === 'ENOENT') {
    return new MediaError(
      'tool_missing',
      `${tool} not found at ${binary}; install it or set its path`,
      { tool, path: binary },
      { cause: error },
    );
  }
  if (error.code === 'EACCES') {
    return new MediaError(
      'tool_not_executable',
      `${tool} at ${binary} is not executable; run: chmod +x '${binary}'`,
      { tool, path: binary },
      { cause: error },
    );
  }
  return new MediaError(
    'transcode_failed',
    `${tool} could not be started: ${error.message}`,
    { tool },
    { cause: error },
  );
}

/** Keeps the first and last stderr lines without holding all of them. */
class LineCollector {
  private readonly first: string[] = [];
  private readonly last: string[] = [];
  private partial = '';

  push(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('utf8')).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.add(line);
  }

  head(): string[] {
    this.flush();
    return [...this.first];
  }

  tail(): string[] {
    this.flush();
    return [...this.last];
  }

  private flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  private add(line: string): void {
    const trimmed = line.trim();
    if (!trimmed) return;
    if (this.first.length < HEAD_LINES) this.first.push(trimmed);
    this.last.push(trimmed);
    if (this.last.length > TAIL_LINES) this.last.shift();
  }
}

/**
 * A decoder line fit for a person: ffmpeg prefixes lines with the address
 * of its context ("[mp3float @ 0x55d…]"), which differs on every run and
 * means nothing to a user, so it is dropped.
 */
/**
 * The argv as logs may show it: each tag value (`-metadata[:…] key=value`)
 * is replaced by its length. Tags are the client's metadata (lyrics run
 * to 64 KiB), which logs never hold whole (SPEC §5).
 */
export function loggableArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (i === 0 || !args[i - 1].startsWith('-metadata')) return arg;
    const eq = arg.indexOf('=');
    if (eq < 0) return `<${Buffer.byteLength(arg)} bytes>`;
    return `${arg.slice(0, eq)}=<${Buffer.byteLength(arg.slice(eq + 1))} bytes>`;
  });
}

export function readableToolLine(line: string): string {
  return line.replace(/ @ 0x[0-9a-f]+\]/i, ']').trim();
}
