import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serveFiles, type LoopbackServer } from './loopback-http';
import { TestStack, type TestSite, type TestStackOptions } from './test-stack';

export interface FixtureStackOptions extends TestStackOptions {
  /**
   * Writes the source files into `dir` before anything starts; a test may
   * also add files there later, the file server reads them when asked.
   */
  fixtures?: (dir: string) => Promise<unknown>;
  /** Contact email of the site made for the test; none by default. */
  contactEmail?: string;
}

/** What an end-to-end test file runs against. */
export interface FixtureStack {
  stack: TestStack;
  /** Serves `dir` on loopback, as a source host would. */
  files: LoopbackServer;
  /** A temp folder of the test's own, removed on close. */
  dir: string;
  site: TestSite;
  /** Stops the stack and the file server, removes `dir`; idempotent. */
  close(): Promise<void>;
}

/**
 * The usual start of an end-to-end test file: a temp folder with its
 * fixtures, a file server on it, the stack, and one site.
 */
export async function startFixtureStack(
  options: FixtureStackOptions = {},
): Promise<FixtureStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fixtures-'));
  let files: LoopbackServer | undefined;
  let stack: TestStack | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await stack?.close();
      await files?.close();
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await options.fixtures?.(dir);
    files = await serveFiles(dir);
    stack = await TestStack.start(options);
    const site = await stack.createSite(options.contactEmail);
    return { stack, files, dir, site, close };
  } catch (err) {
    await close();
    throw err;
  }
}
