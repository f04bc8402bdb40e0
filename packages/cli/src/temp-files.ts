import { rmSync } from 'node:fs';

/**
 * The temp files a command is writing right now. A second Ctrl-C exits
 * at once, skipping every `finally`; it removes these first, so no
 * hidden `.part` file is left behind.
 */
export class TempFiles {
  private readonly files = new Set<string>();

  add(file: string): void {
    this.files.add(file);
  }

  delete(file: string): void {
    this.files.delete(file);
  }

  /** Synchronous: runs in a signal handler right before `process.exit`. */
  removeAllSync(): void {
    for (const file of this.files) rmSync(file, { force: true });
    this.files.clear();
  }
}
