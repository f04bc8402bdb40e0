import cliProgress from 'cli-progress';
import type { DeliveryAttempt, JobProgress } from '@ingest/client';
import { visible, type CliOutput } from './cli-output';

/** Shows a job's progress while `--wait` polls it. */
export interface ProgressView {
  update(progress: JobProgress): void;
  stop(): void;
  /** The closing line, unless the view has just shown that very line. */
  finish(progress: JobProgress): void;
}

/**
 * A live bar redrawn in place when a person watches stdout; one plain
 * line per change otherwise (pipes, logs, CI); nothing under `--json`.
 */
export function progressView(out: CliOutput): ProgressView {
  if (out.json) {
    const quiet = () => undefined;
    return { update: quiet, stop: quiet, finish: quiet };
  }
  if (out.interactive) return new TerminalBar(out);
  return new PlainLines(out);
}

class TerminalBar implements ProgressView {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(private readonly out: CliOutput) {
    this.bar = new cliProgress.SingleBar(
      {
        format:
          'job {job} [{bar}] {value}/{total} | ' +
          'q {q}  i {i}  d {d}  e {e} | {state}',
        stream: out.stdout,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        // Redraw on every answer: polls are a second apart anyway.
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(progress: JobProgress): void {
    const { q, i, d, e } = progress;
    // Drawn past CliOutput.line, so the gateway's text is made visible here.
    const state = visible(progress.state);
    const payload = { job: progress.job_id, q, i, d, e, state };
    const total = Math.max(q + i + d + e, 1);
    if (!this.started) {
      this.bar.start(total, d + e, payload);
      this.started = true;
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(d + e, payload);
  }

  /** Leaves the last bar on screen and shows the cursor; idempotent. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.bar.stop();
  }

  finish(progress: JobProgress): void {
    this.out.line(describeProgress(progress));
  }
}

class PlainLines implements ProgressView {
  private last = '';

  constructor(private readonly out: CliOutput) {}

  update(progress: JobProgress): void {
    const line = describeProgress(progress);
    if (line === this.last) return;
    this.last = line;
    this.out.line(line);
  }

  stop(): void {}

  finish(progress: JobProgress): void {
    this.update(progress);
  }
}

export function describeProgress(p: JobProgress): string {
  return `job ${p.job_id} ${p.state}: q=${p.q} i=${p.i} d=${p.d} e=${p.e}`;
}

/**
 * One notification attempt as `status` lists it. An email handed on (to
 * SMTP, or the outbox) has no HTTP status: it read "no answer", as if
 * it had failed.
 */
export function describeDelivery(d: DeliveryAttempt): string {
  const outcome = d.status ?? d.error ?? (d.ok ? undefined : 'no answer');
  const detail = outcome === undefined ? '' : `, ${outcome}`;
  return `  ${d.channel} ${d.ok ? 'delivered' : 'failed'} (attempt ${d.attempt}${detail})`;
}
