/** What `ingest` exits with; scripts may branch on these. */
export const EXIT = {
  ok: 0,
  /**
   * Bad arguments, a missing file, no URL or token; also what was asked
   * for is not there (`download` saved nothing).
   */
  usage: 1,
  /** The API refused a call, or could not be reached. */
  api: 2,
  /** The job completed, but some uploads errored. */
  uploadsErrored: 3,
  /** `--wait` gave up before the job completed. */
  timeout: 4,
  /**
   * `download` of a job still publishing: what is published so far was
   * saved; more tracks may come.
   */
  incomplete: 5,
  /**
   * The site holds its storage quota (507 `quota_exceeded`): nothing
   * more is stored until tracks or uploads are deleted.
   */
  quotaExceeded: 6,
  /** Ctrl-C (SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line is wrong; the message says how. Exits 1. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}
