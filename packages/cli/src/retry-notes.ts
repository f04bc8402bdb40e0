import { IngestNetworkError, type RetryEvent } from '@ingest/client';
import type { CliOutput } from './cli-output';

/** The same note is not repeated sooner than this, ms. */
const REPEAT_AFTER_MS = 30_000;

/**
 * Tells a person, on stderr, that a call is being retried (a gateway
 * restarting, the site's upload slot busy), so a wait is not taken for a
 * hang. A note is said again only after a while.
 */
export class RetryNotes {
  private last = '';
  private lastAt = 0;

  constructor(
    private readonly out: CliOutput,
    private readonly now: () => number = Date.now,
  ) {}

  told(event: RetryEvent): void {
    this.say(describe(event));
  }

  /** A note of the commands' own, under the same no-repeat rule. */
  say(text: string): void {
    const now = this.now();
    if (text === this.last && now - this.lastAt < REPEAT_AFTER_MS) return;
    this.last = text;
    this.lastAt = now;
    this.out.note(text);
  }
}

function describe({ endpoint, failure }: RetryEvent): string {
  if (failure.kind === 'status' && failure.status === 429) {
    return endpoint.endsWith('/upload')
      ? 'another upload of this site is in progress; waiting for the upload slot'
      : `${endpoint}: busy (HTTP 429); retrying`;
  }
  if (failure.kind === 'status') return `${endpoint}: HTTP ${failure.status}; retrying`;
  // With the socket's reason, as the error the retries end in names it:
  // a mistyped port said only "fetch failed; retrying" for 17 s.
  return `${new IngestNetworkError(endpoint, failure.error).message}; retrying`;
}
