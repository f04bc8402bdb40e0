/**
 * A child process (a service, redis-server) that did not start: it
 * could not be run, it exited, or it was not ready in time. `summary`
 * says which and where in one line, for whoever started it (`npm start`
 * prints just that); `message` adds what the process printed, when that
 * was kept, for a failing test.
 */
export class ChildStartError extends Error {
  override name = 'ChildStartError';

  constructor(
    readonly summary: string,
    output = '',
  ) {
    super(output ? `${summary}:\n${output}` : summary);
  }
}
