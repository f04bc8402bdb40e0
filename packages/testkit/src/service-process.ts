import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundlePath,
  ensureServicesBuilt,
  SERVICE_NODE_FLAGS,
} from '@ingest/build';
import { ChildStartError } from './child-start-error';
import { waitUntil, withDeadline } from './wait-until';

const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);

export type ServiceName = 'gateway' | 'transcoder' | 'notifier';

/** One /readyz ask that gets no answer in this time counts as not ready. */
const READY_PROBE_TIMEOUT_MS = 5_000;

/**
 * Where a service listening on `host` (its HOST) is reached from this
 * machine, as a URL's host: loopback when it listens everywhere, the
 * address itself (an IPv6 one in brackets) when it listens on one.
 */
export function reachableHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export interface ServiceProcessOptions {
  env: Record<string, string | undefined>;
  /** The port whose /readyz tells that the service is up. */
  port: number;
  /** The address it listens on (HOST): its /readyz is asked there. */
  host?: string;
  /** Where its output goes; 'inherit' for npm start, 'pipe' for tests. */
  stdio?: 'inherit' | 'pipe';
  readyTimeoutMs?: number;
  /** Its own process group (see RedisServerOptions.detached). */
  detached?: boolean;
  /** Extra node options, e.g. `--cpu-prof` to profile a service. */
  nodeArgs?: string[];
  /**
   * How long `stop` waits for the exit, in ms, before it kills the
   * process and fails saying so. Default: no limit (npm start waits for
   * the service's own INGEST_SHUTDOWN_TIMEOUT).
   */
  stopTimeoutMs?: number;
}

/**
 * One service as a real child process, the way it runs in production
 * (`node <SERVICE_NODE_FLAGS> dist/<name>.mjs`), from bundles built
 * afresh once per test process.
 */
export class ServiceProcess {
  readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;
  private readonly stopTimeoutMs?: number;

  private readonly host: string;

  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    options: ServiceProcessOptions,
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs;
    this.host = reachableHost(options.host);
    this.child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), ...SERVICE_NODE_FLAGS, bundlePath(name)],
      {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'],
        detached: options.detached ?? false,
      },
    );
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => resolve(code)),
    );
  }

  /** Starts the process and waits until it answers /readyz. */
  static async start(
    name: ServiceName,
    options: ServiceProcessOptions,
  ): Promise<ServiceProcess> {
    const service = await ServiceProcess.spawn(name, options);
    try {
      await service.waitReady(options.readyTimeoutMs ?? 30_000);
    } catch (err) {
      // Left running, its pipes would keep this process from ever ending.
      service.child.kill('SIGKILL');
      throw err;
    }
    return service;
  }

  /** Starts the process without waiting for it to be ready. */
  static async spawn(
    name: ServiceName,
    options: ServiceProcessOptions,
  ): Promise<ServiceProcess> {
    await ensureServicesBuilt();
    return new ServiceProcess(name, options.port, options);
  }

  /** The last lines it printed, for failure messages. */
  get logs(): string {
    return this.output;
  }

  /**
   * Waits until /readyz answers 200; a `ChildStartError` when the
   * process exits first or is not ready within `timeoutMs`.
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const readyz = `http://${this.host}:${this.port}/readyz`;
    // What the last ask got, so a start that never gets ready says why.
    let last = 'no answer yet';
    try {
      await waitUntil(
        async () => {
          if (this.child.exitCode !== null) {
            throw new ChildStartError(
              `${this.name} exited with ${this.child.exitCode} before ` +
                `it was ready (${readyz})`,
              this.logs,
            );
          }
          try {
            const res = await fetch(readyz, {
              signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS),
            });
            const body = (await res.text()).slice(0, 200);
            last = `${res.status} ${body.replace(/\s+/g, ' ')}`;
            return res.ok;
          } catch (err) {
            // Not listening yet, or no answer in time.
            const cause = (err as Error & { cause?: Error }).cause ?? err;
            last = (cause as Error).message;
            return false;
          }
        },
        { timeoutMs },
      );
    } catch (err) {
      if (err instanceof ChildStartError) throw err;
      throw new ChildStartError(
        `${this.name} not ready in ${timeoutMs / 1000} s (pid ` +
          `${this.child.pid}, ${readyz}; last answer: ${last})`,
        this.logs,
      );
    }
  }

  /**
   * Sends a signal and waits for the exit code; past `stopTimeoutMs` the
   * process is killed and the wait fails.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    if (this.stopTimeoutMs === undefined) return this.exited;
    return withDeadline(this.exited, {
      timeoutMs: this.stopTimeoutMs,
      message: () =>
        `${this.name} did not exit within ${this.stopTimeoutMs} ms of ` +
        `${signal}; killed:\n${this.logs}`,
      onTimeout: () => this.child.kill('SIGKILL'),
    });
  }
}
