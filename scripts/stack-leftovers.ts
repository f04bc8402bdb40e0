import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ScriptRefusal } from './script-refusal';
import { PortsInUse } from './stack-ports';

/**
 * What an `npm start` that was killed outright (SIGKILL, the OOM killer)
 * leaves behind. Its children run in process groups of their own, so
 * they outlive it: its redis-server goes on appending to the data dir's
 * append-only file, and its services go on using that Redis. The data
 * dir's claim (stack-lock.ts) names only the dead start, so the next
 * start took it over and ran a second redis-server on the same file.
 */
export interface Leftover {
  pid: number;
  /** `redis-server`, or the service: `gateway`, `transcoder`, `notifier`. */
  what: string;
}

const SERVICE = /(?:^|\/)dist\/(gateway|transcoder|notifier)\.mjs$/;

/**
 * The processes of an earlier start on this data dir that still run: a
 * redis-server working in `<dataDir>/redis` (Redis moves into its
 * `--dir`), and services given this INGEST_DATA_DIR. Found through
 * /proc; where there is none, nothing is found.
 */
export async function leftoversOf(dataDir: string): Promise<Leftover[]> {
  const redisDir = await realpath(path.join(dataDir, 'redis')).catch(() => undefined);
  const mark = `INGEST_DATA_DIR=${dataDir}\0`;
  const names = await readdir('/proc').catch(() => [] as string[]);
  const found: Leftover[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid) continue;
    const args = await argsOf(pid);
    if (!args || (await childOfLiveStart(pid))) continue;
    if (redisDir && args[0]?.includes('redis-server')) {
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
      if (cwd === redisDir) found.push({ pid, what: 'redis-server' });
      continue;
    }
    const service = args.map((arg) => SERVICE.exec(arg)?.[1]).find(Boolean);
    if (!service) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.includes(mark)) found.push({ pid, what: service });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * Refuses a start while a redis-server of an earlier one still runs on
 * this data dir, naming it and the services left with it.
 */
export async function assertNoLeftoverRedis(dataDir: string): Promise<void> {
  const left = await leftoversOf(dataDir);
  if (!left.some((process) => process.what === 'redis-server')) return;
  throw new ScriptRefusal(
    `${stillHas(dataDir, left)}; a second redis-server would write to the ` +
      `same append-only file. ${howToStop(dataDir, left)}`,
  );
}

/**
 * A port refusal with the processes of a killed start on this data dir
 * named, where some are left. With a REDIS_URL of yours such a start has
 * no redis-server to find, and its services hold the ports: `port in
 * use` alone said neither which processes nor that they were ours.
 */
export async function withLeftoversNamed(dataDir: string, err: unknown): Promise<unknown> {
  if (!(err instanceof PortsInUse)) return err;
  const left = await leftoversOf(dataDir);
  if (left.length === 0) return err;
  return new ScriptRefusal(
    `port in use on ${err.host}: ${err.taken.join(', ')}; ` +
      `${stillHas(dataDir, left)}. ${howToStop(dataDir, left)}`,
  );
}

function stillHas(dataDir: string, left: Leftover[]): string {
  const named = left.map(({ what, pid }) => `${what} (pid ${pid})`).join(', ');
  return (
    `INGEST_DATA_DIR ${dataDir} still has processes of an earlier npm start ` +
    `that was killed: ${named}`
  );
}

/**
 * The services first, their Redis once they have exited: a `kill` of
 * them all at once stopped Redis under a draining transcoder, which then
 * could not hand its run back, and the job stayed active until the stall
 * check of the next start took it back, a minute later.
 */
function howToStop(dataDir: string, left: Leftover[]): string {
  const { services, redis } = splitLeftovers(left);
  const command = `INGEST_DATA_DIR=${shellWord(dataDir)} npm run stack:stop-leftovers`;
  const inOrder = services.length > 0 && redis.length > 0;
  const byHand = inOrder
    ? `kill ${pidsOf(services)}, and once they have exited, kill ${pidsOf(redis)}`
    : `kill ${pidsOf(left)}`;
  const why = inOrder
    ? 'the services first, so that they hand back their work, then Redis; '
    : '';
  return `Stop them with \`${command}\` (${why}or ${byHand}), then start again`;
}

/** The leftover services, and the redis-server(s) they use. */
export function splitLeftovers(left: Leftover[]) {
  return {
    services: left.filter(({ what }) => what !== 'redis-server'),
    redis: left.filter(({ what }) => what === 'redis-server'),
  };
}

function pidsOf(left: Leftover[]): string {
  return left.map(({ pid }) => pid).join(' ');
}

/** A path as a POSIX shell takes it, quoted only where it needs to be. */
function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Whether `pid` is a child of an `npm start` that still runs: not left
 * behind. A start given a REDIS_URL claims no data dir, so the services
 * of one that ran were taken for leftovers: `stack:stop-leftovers`
 * stopped them under it (it started them again), and a second start
 * called it killed.
 */
async function childOfLiveStart(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command, which is in parentheses and may hold any.
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!Number.isInteger(parent) || parent <= 1) return false;
  const args = await argsOf(parent);
  return args?.some((arg) => arg.endsWith('start-stack.ts')) ?? false;
}

/** A process's arguments, or undefined when it is gone or not readable. */
async function argsOf(pid: number): Promise<string[] | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw ? raw.split('\0').filter(Boolean) : undefined;
}
