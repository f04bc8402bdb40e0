/**
 * The default site `npm start` made without INGEST_DEV_TOKEN, kept in its
 * data dir so the next start on that dir opens the same site: a new token
 * each start left the jobs of the one before out of reach.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a start needs to find its site again. */
export interface KeptDevSite {
  siteId: number;
  token: string;
}

/** The file, beside the Redis data that holds the site. */
export function devSiteFile(dataDir: string): string {
  return path.join(dataDir, 'dev-site.json');
}

/**
 * The site a start on this data dir kept; undefined when there is no
 * file, or one that cannot be read or does not name a site and token.
 */
export async function readKeptDevSite(dataDir: string): Promise<KeptDevSite | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(devSiteFile(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  const { siteId, token } = (parsed ?? {}) as Partial<Record<string, unknown>>;
  if (!Number.isSafeInteger(siteId) || (siteId as number) < 1) return undefined;
  if (typeof token !== 'string' || token.length === 0) return undefined;
  return { siteId: siteId as number, token };
}

/**
 * Writes the file, readable by its owner only (it holds a token), in
 * place at once: a start killed while writing leaves the old one whole.
 */
export async function writeKeptDevSite(dataDir: string, site: KeptDevSite): Promise<void> {
  const file = devSiteFile(dataDir);
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const body = JSON.stringify({ siteId: site.siteId, token: site.token }, null, 2);
    await writeFile(temp, body + '\n', { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}
