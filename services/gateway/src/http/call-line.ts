import type { Response } from 'express';
import type { Logger } from '@ingest/telemetry';

/** Ids an answer may name, by the field the call's log line gives them. */
const ANSWER_IDS = {
  upload_id: 'uploadId',
  update_id: 'updateId',
  job_id: 'jobId',
  track_id: 'trackId',
} as const;

/**
 * The one line an API call leaves in the log once its answer has gone:
 * the call (method and path, never the query, which may carry the
 * token), status, time taken, site, the error code of a refusal, and the
 * ids the answer named. The request id on it is the one queue jobs carry
 * on, so an upload is followed from its call to the transcoder and the
 * notifier by `requestId`, `uploadId` and `jobId`.
 */
export class CallLine {
  private readonly started = Date.now();
  private readonly fields: Record<string, unknown> = {};

  constructor(
    private readonly log: Logger,
    private readonly call: string,
  ) {}

  /** Writes the line when the response ends or the client goes. */
  watch(res: Response): void {
    res.once('close', () => this.end(res));
  }

  site(siteId: number): void {
    this.fields.siteId = siteId;
  }

  refused(code: string): void {
    this.fields.code = code;
  }

  /** Takes the ids a JSON answer names (numbers only: nothing else). */
  answered(body: unknown): void {
    if (!body || typeof body !== 'object') return;
    for (const [key, field] of Object.entries(ANSWER_IDS)) {
      const value = (body as Record<string, unknown>)[key];
      if (Number.isSafeInteger(value)) this.fields[field] = value;
    }
  }

  private end(res: Response): void {
    this.log.info(
      {
        call: this.call,
        status: res.statusCode,
        durationMs: Date.now() - this.started,
        ...this.fields,
        // The client hung up before the whole answer was sent.
        ...(res.writableFinished ? {} : { cut: true }),
      },
      'call answered',
    );
  }
}
