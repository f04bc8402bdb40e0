/** `waitForImport` gave up before the gateway answered the import. */
export class ImportTimeoutError extends Error {
  readonly importId: string;
  /**
   * The queue job's state when the wait ended (`waiting`, `active`…), or
   * `unread` when Redis answered none of the wait's looks.
   */
  readonly state: string;

  constructor(importId: string, timeoutMs: number, state: string) {
    super(
      `import ${importId} was not answered within ${timeoutMs} ms ` +
        (state === 'unread' ? '(Redis did not answer)' : `(still ${state})`),
    );
    this.name = 'ImportTimeoutError';
    this.importId = importId;
    this.state = state;
  }
}
