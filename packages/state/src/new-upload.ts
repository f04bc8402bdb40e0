import type { Meta, OutputFormat, SourceFile, Upload } from '@ingest/core';

/** What StateStore.addUpload makes an upload of. */
export interface NewUpload {
  formats: OutputFormat[];
  sources: Record<string, SourceFile>;
  meta: Meta;
  formatsGiven?: boolean;
  fileName?: string;
  /** Indexed in the job for secondary sources (see SourceIndex). */
  stem?: string;
}

/**
 * What adding an upload came to (see StateStore.addUpload): the upload,
 * or why none was added.
 */
export type AddedUpload =
  | Upload
  | 'closed'
  | { duplicateOf: number }
  | { sameNameAs: number };
