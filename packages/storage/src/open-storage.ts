import { fileURLToPath } from 'node:url';
import { FileStorage } from './file-storage';
import type { Storage } from './storage';

/** Opens the storage a `STORAGE_URL` names. */
export function openStorage(url: string): Storage {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return new FileStorage(fileURLToPath(parsed));
  throw new Error(
    `STORAGE_URL: unsupported scheme ${parsed.protocol} (use file://)`,
  );
}
