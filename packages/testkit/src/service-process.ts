import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundlePath,
  ensureServicesBuilt,
  SERVICE_NODE_FLAGS,
} from '@ingest/build';
import { waitUntil } from './wait-until';

const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);

export type ServiceName = 'gateway' | 'transcoder' | 'notifier';

export interface ServiceProcessOptions {
  env: Record<string, string | undefined>;
  /** The port whose /readyz tells that the service is up. */
  port: number;
  /** Where its output goes; 'inherit' for npm start, 'pipe' for tests. */
  stdio?: 'inherit' | 'pipe';
  readyTimeoutMs?: number;
  /** Its own process group (see RedisServerOptions.detached). */
  detached?: boolean;
  /** Extra node options, e.g. `--cpu-prof` to profile a service. */
  nodeArgs?: string[];
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

  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    options: ServiceProcessOptions,
  ) {
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

  static async start(
    name: ServiceName,
    options: ServiceProcessOptions,
  ): Promise<ServiceProcess> {
    await ensureServicesBuilt();
    const service = new ServiceProcess(name, options.port, options);
    await service.waitReady(options.readyTimeoutMs ?? 30_000);
    return service;
  }

  /** The last lines it printed, for failure messages. */
  get logs(): string {
    return this.output;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    await waitUntil(
      async () => {
        if (this.child.exitCode !== null) {
          throw new Error(
            `${this.name} exited with ${this.child.exitCode}:\n${this.logs}`,
          );
        }
        try {
          const res = await fetch(`http://127.0.0.1:${this.port}/readyz`);
          return res.ok;
        } catch {
          return false; // not listening yet
        }
      },
      {
        timeoutMs,
        message: () =>
          `${this.name} not ready in ${timeoutMs} ms:\n${this.logs}`,
      },
    );
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    return this.exited;
  }
}
