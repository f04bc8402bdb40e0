/**
 * `npm run stack:stop-leftovers`: stops what an `npm start` killed
 * outright left running on INGEST_DATA_DIR (stack-leftovers.ts), in the
 * order npm start itself stops: the services first, each draining and
 * handing its unfinished runs back to Redis, then Redis once they have
 * exited. Refused while a live npm start holds the data dir: its own
 * processes would be found too.
 */
import { readFile, rm } from 'node:fs/promises';
import { exitRefused, scriptConfig, ScriptRefusal } from './script-refusal';
import { leftoversOf, splitLeftovers, type Leftover } from './stack-leftovers';
import { dataDirHolder } from './stack-lock';
import { redisUrlFile } from './stack-redis';

/** Past their own shutdown deadline, services still running are hung. */
const SERVICE_GRACE_MS = 10_000;
/** How long Redis may take to write its append-only file and exit. */
const REDIS_WAIT_MS = 60_000;
const POLL_MS = 200;

const config = scriptConfig();
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  const holder = await dataDirHolder(config.dataDir);
  if (holder !== undefined) {
    throw new ScriptRefusal(
      `INGEST_DATA_DIR ${config.dataDir} is in use by a running npm start ` +
        `(pid ${holder}): stop that one with Ctrl-C (or kill ${holder})`,
    );
  }
  const { services, redis } = splitLeftovers(await leftoversOf(config.dataDir));
  if (services.length + redis.length === 0) {
    say(`nothing of a killed npm start runs on INGEST_DATA_DIR ${config.dataDir}`);
    process.exit(0);
  }

  if (services.length > 0) {
    say(`stopping ${named(services)}: each hands back the work it cannot finish`);
    const waitMs = config.shutdownTimeoutMs + SERVICE_GRACE_MS;
    const hung = await stopAll(services, waitMs);
    if (hung.length > 0) {
      say(`${named(hung)} did not exit within ${waitMs / 1000} s: killed`);
      const unkillable = await stopAll(hung, REDIS_WAIT_MS, 'SIGKILL');
      if (unkillable.length > 0) {
        // Redis stays up: a service still running may yet hand work back to it.
        throw new ScriptRefusal(
          `${named(unkillable)} still runs after SIGKILL (stuck in the kernel?); ` +
            'Redis is left running: stop it once that process is gone',
        );
      }
    }
  }
  if (redis.length > 0) {
    say(`stopping ${named(redis)}`);
    const left = await stopAll(redis, REDIS_WAIT_MS);
    if (left.length > 0) {
      throw new ScriptRefusal(
        `${named(left)} did not exit within ${REDIS_WAIT_MS / 1000} s; ` +
          'it may still be writing its data: wait for it, then start again',
      );
    }
    // It named the Redis just stopped; npm start writes it anew.
    await rm(redisUrlFile(config.dataDir), { force: true });
  }
  say('stopped: npm start may start on this data dir again');
} catch (err) {
  exitRefused(err);
}

/**
 * Sends `signal` to each process and waits up to `waitMs` for them all to
 * exit; resolves with those still running then.
 */
async function stopAll(
  left: Leftover[],
  waitMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<Leftover[]> {
  for (const { pid } of left) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
  const until = Date.now() + waitMs;
  let running = left;
  while (running.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const still = await Promise.all(running.map(({ pid }) => isRunning(pid)));
    running = running.filter((_, i) => still[i]);
  }
  return running;
}

/**
 * Whether `pid` still runs. An exited process not yet reaped by its new
 * parent (a zombie) has exited all the same.
 */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  // The state follows the command, which is in parentheses and may hold any.
  return stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

function named(left: Leftover[]): string {
  return left.map(({ what, pid }) => `${what} (pid ${pid})`).join(', ');
}
