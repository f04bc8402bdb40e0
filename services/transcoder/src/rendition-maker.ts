import type { Meta, OutputFormat, Rendition } from '@ingest/core';

/** One finished, verified rendition in a local temp file. */
export interface MadeRendition extends Omit<Rendition, 'storageKey'> {
  path: string;
}

export interface MakeRequest {
  /** Local paths of the upload's sources, by their format. */
  sources: Record<string, string>;
  formats: OutputFormat[];
  meta: Meta;
  /** An empty folder of ours for the outputs; removed by the caller. */
  outDir: string;
  signal?: AbortSignal;
}

/**
 * Makes every requested rendition of an upload in one pass and verifies
 * them. Throws `UploadFault` when the source itself is at fault (it will
 * not get better on retry); anything else is worth another attempt.
 */
export interface RenditionMaker {
  make(request: MakeRequest): Promise<MadeRendition[]>;
}

/** The source is at fault: the upload errors with this code and reason. */
export class UploadFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UploadFault';
  }
}
