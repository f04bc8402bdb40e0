/**
 * The default site `npm start` made without INGEST_DEV_TOKEN, kept in its
 * data dir so the next start on that dir opens the same site: a new token
 * each start left the jobs of the one before out of reach.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ScriptRefusal } from './script-refusal';

/** What a start needs to find its site again. */
export interface KeptDevSite {
  siteId: number;
  token: string;
}

/** The file, beside the Redis data that holds the site. */
export function devSiteFile(dataDir: string): string {
  return path.join(dataDir, 'dev-site.json');
}

/** What the file held: the site kept, or why it named none. */
export interface KeptDevSiteRead {
  kept?: KeptDevSite;
  /** The file is there but names no site: not JSON, or fields missing. */
  unusable?: string;
}

/**
 * The site a start on this data dir kept; nothing when there is no file,
 * `unusable` for one that does not name a site and token. A file that
 * cannot be read at all (a directory in its place, no permission) is a
 * refusal: a start went on to make a site, then failed to write it there
 * with a stack trace, a site more in Redis at each try.
 */
export async function readKeptDevSite(dataDir: string): Promise<KeptDevSiteRead> {
  const text = await readKeptText(devSiteFile(dataDir));
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { unusable: 'not JSON' };
  }
  const { siteId, token } = (parsed ?? {}) as Partial<Record<string, unknown>>;
  if (!Number.isSafeInteger(siteId) || (siteId as number) < 1) {
    return { unusable: 'no siteId' };
  }
  if (typeof token !== 'string' || token.length === 0) return { unusable: 'no token' };
  return { kept: { siteId: siteId as number, token } };
}

/**
 * The file's text, or undefined when there is none. Only a regular file
 * is read: a FIFO or a link to /dev/zero in its place held the start.
 */
async function readKeptText(file: string): Promise<string | undefined> {
  let problem: string;
  try {
    if ((await stat(file)).isFile()) return await readFile(file, 'utf8');
    problem = 'not a file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    problem = code ?? String(err);
  }
  throw new ScriptRefusal(
    `${file} cannot be read (${problem}); npm start keeps its default site ` +
      'in that file. Make it a file you can read and write, or remove it to ' +
      'start with a new site',
  );
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

/**
 * Moves a kept file that names no site aside, to
 * `dev-site.json.bad-<UTC time>` beside it, before a new site is written
 * in its place: it was overwritten, and a token a user had edited into it
 * (or needed from it) was gone. Readable by its owner only, as it may
 * hold a token. Gives the path it now has.
 */
export async function setAsideKeptDevSite(dataDir: string): Promise<string> {
  const file = devSiteFile(dataDir);
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const aside = `${file}.bad-${stamp}`;
  await rename(file, aside);
  await chmod(aside, 0o600);
  return aside;
}
