/**
 * `npm run storage:sweep -- [--older-than 24h] [--delete]` lists the
 * stored files no record in Redis names and that were written before
 * the grace period, with their bytes; `--delete` removes them (and
 * their count in their site's quota). Prints one JSON answer; exits 1
 * when a file could not be removed. Uses STORAGE_URL and the Redis the
 * other operator scripts use (REDIS_URL, or a running `npm start`'s).
 */
import { parseArgs } from 'node:util';
import { durationHint, parseDuration } from '@ingest/config';
import { isStorageUnavailable, openStorage } from '@ingest/storage';
import { sweepOrphans } from './orphan-sweep';
import {
  exitRefused,
  scriptConfig,
  scriptOptions,
  ScriptRefusal,
} from './script-refusal';
import { openScriptRedis } from './stack-redis';

const USAGE = 'usage: npm run storage:sweep -- [--older-than 24h] [--delete]';

const HOUR_MS = 60 * 60 * 1000;

/**
 * The least grace taken: a file younger may belong to a write going on
 * now (a transcode of a long source, an upload being accepted).
 */
const LEAST_GRACE_MS = HOUR_MS;

const { values } = scriptOptions(
  () =>
    parseArgs({
      options: {
        'older-than': { type: 'string', default: '24h' },
        delete: { type: 'boolean', default: false },
      },
    }),
  USAGE,
);
const olderThan = values['older-than'];
const olderThanMs = graceOf(olderThan);

const config = scriptConfig();
const redis = await openScriptRedis(config).catch(exitRefused);
const storage = openStorage(config.storageUrl);
try {
  const report = await sweepOrphans({
    storage,
    redis,
    olderThanMs,
    remove: values.delete,
  }).catch((err: unknown) =>
    // A refusal, or a store out of reach, is one line; a bug its stack.
    exitRefused(
      isStorageUnavailable(err) ? new ScriptRefusal((err as Error).message) : err,
    ),
  );
  const answer = {
    dry_run: !values.delete,
    older_than: olderThan,
    orphans: report.orphans.map(({ key, bytes, modifiedAt }) => ({
      key,
      bytes,
      modified_at: modifiedAt.toISOString(),
    })),
    orphan_count: report.orphans.length,
    orphan_bytes: report.orphans.reduce((sum, { bytes }) => sum + bytes, 0),
    kept_young: report.young,
    removed: report.removed,
    failed: report.failed,
  };
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
  if (report.failed.length > 0) process.exitCode = 1;
} finally {
  redis.disconnect();
  await storage.close();
}

/**
 * `--older-than` in ms: a duration with its unit (`24h`, `7D`, `2w`; `M`
 * is refused, naming minutes `m`), an hour at least.
 */
function graceOf(text: string): number {
  let ms: number | undefined;
  let hint = '';
  try {
    // A bare number would be read as ms: a unit is asked for.
    if (/[a-z]\s*$/i.test(text)) ms = parseDuration(text);
  } catch (err) {
    hint = durationHint(err);
  }
  if (ms === undefined) {
    exitRefused(
      new ScriptRefusal(
        `--older-than "${text}" is not a duration like 24h, 2d or 1w${hint}; ${USAGE}`,
      ),
    );
  }
  if (ms < LEAST_GRACE_MS) {
    exitRefused(
      new ScriptRefusal(
        `--older-than ${text} is less than 1h: files that young may be ` +
          'written by a run or an upload going on now',
      ),
    );
  }
  return ms;
}
