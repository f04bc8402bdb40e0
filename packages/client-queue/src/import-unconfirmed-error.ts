/**
 * Redis did not confirm an add in time: the import may be queued or
 * not. Adding it again with the same `importId` is safe either way (a
 * repeat of a queued id adds nothing), and is how to find out.
 */
export class ImportUnconfirmedError extends Error {
  readonly importId: string;

  constructor(importId: string, timeoutMs: number) {
    super(
      `Redis did not confirm the add of import ${importId} within ` +
        `${timeoutMs} ms: it may be queued or not; enqueue it again ` +
        `with importId "${importId}", which adds nothing if it is`,
    );
    this.name = 'ImportUnconfirmedError';
    this.importId = importId;
  }
}
