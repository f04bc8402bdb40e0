import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ChildStartError } from './child-start-error';
import { freePort } from './free-port';
import { waitUntil, withDeadline } from './wait-until';

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
  args?: string[];
  /** The redis-server binary to run; default the one on the PATH. */
  command?: string;
  /** Data directory; a fresh temp dir by default (removed on close). */
  dir?: string;
  port?: number;
  /**
   * Its own process group, so a terminal's Ctrl-C reaches only the
   * parent, which then stops it last (`npm start`). Default false.
   */
  detached?: boolean;
  /**
   * How long `stop` waits for the exit, in ms, before it kills the
   * process and fails saying so. Default: no limit.
   */
  stopTimeoutMs?: number;
}

/** How a redis-server process ended. */
export interface RedisExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A private `redis-server` on a free loopback port, with AOF on and
 * `noeviction`, as SPEC §3 asks of production. Tests may stop and start
 * it again on the same port and directory.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  private child?: ChildProcess;
  private exit?: Promise<RedisExit>;
  private readonly ownsDir: boolean;
  private readonly args: string[];
  private readonly command: string;
  private readonly detached: boolean;
  private readonly stopTimeoutMs?: number;

  private constructor(
    port: number,
    dir: string,
    owns: boolean,
    options: RedisServerOptions,
  ) {
    this.port = port;
    this.dir = dir;
    this.ownsDir = owns;
    this.args = options.args ?? [];
    this.command = options.command ?? 'redis-server';
    this.detached = options.detached ?? false;
    this.stopTimeoutMs = options.stopTimeoutMs;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const dir =
      options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-')));
    const server = new RedisServer(port, dir, !options.dir, options);
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The pid of the running process, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the process `resume` started last has ended. */
  get exited(): Promise<RedisExit> {
    if (!this.exit) throw new Error('redis-server was never started');
    return this.exit;
  }

  /**
   * Starts the process again (after `stop`), same port and data. Fails
   * with a `ChildStartError` when redis-server cannot be run (gone from
   * the PATH), exits (its last line says why) or does not listen in
   * 10 s.
   */
  async resume(): Promise<void> {
    const child = spawn(
      this.command,
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--dir', this.dir,
        '--appendonly', 'yes',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
        ...this.args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: this.detached },
    );
    this.child = child;
    // A process that could not be run emits 'error', and no 'exit'.
    let notRun: Error | undefined;
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        if (child.pid !== undefined) return;
        notRun = err;
        resolve({ code: child.exitCode, signal: null });
      });
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    // 'exit' may come before the last of the output: 'close' comes after.
    const closed = new Promise((resolve) => child.once('close', resolve));
    const where = `127.0.0.1:${this.port}`;
    let exitedEarly = false;
    try {
      await waitUntil(
        () => {
          if (notRun) {
            throw new ChildStartError(
              `could not run ${this.command}: ${notRun.message}`,
            );
          }
          // Not run at all: its 'error' comes on a later tick.
          if (child.pid === undefined) return false;
          // One killed by a signal has a signalCode and no exitCode.
          exitedEarly = child.exitCode !== null || child.signalCode !== null;
          return exitedEarly || canConnect(this.port);
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
    } catch (err) {
      // Left running, its pipes would keep this process from ever ending.
      child.kill('SIGKILL');
      if (err instanceof ChildStartError) throw err;
      throw new ChildStartError(
        `redis-server did not listen on ${where} within 10 s`,
        output.slice(-500),
      );
    }
    if (exitedEarly) {
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
      throw new ChildStartError(
        `redis-server exited during its start (${where}, dir ` +
          `${this.dir}): ${lastLogLine(output)}`,
      );
    }
  }

  /** Stops the process; `signal` SIGKILL simulates a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    // One that died of a signal (the OOM killer, a test's kill -9) has
    // a signalCode and no exitCode, and will not emit 'exit' again.
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = undefined;
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await (this.stopTimeoutMs === undefined
      ? exited
      : withDeadline(exited, {
          timeoutMs: this.stopTimeoutMs,
          message: `redis-server :${this.port} did not exit within ` +
            `${this.stopTimeoutMs} ms of ${signal}; killed`,
          onTimeout: () => child.kill('SIGKILL'),
        }));
    this.child = undefined;
  }

  /** Kills the process at once, synchronously (for an exit handler). */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await this.stop('SIGKILL');
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The last line redis-server logged, without its `pid:role date time
 * level` prefix: why it stopped (a port in use, a damaged AOF…).
 */
function lastLogLine(output: string): string {
  const lines = output.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const prefix = /^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [*#.-] /;
  return last.replace(prefix, '').trim() || 'no output';
}
