/**
 * `npm run search:reindex [-- --site ID]` asks the indexer (in the
 * notifier) to index every published track again, or a site's, each from
 * its record as it is when the indexer comes to it. For tracks indexed by
 * a release that searched fewer fields (file names are searched since
 * 2026-12): new tracks and updated ones are indexed as they come.
 */
import { parseArgs } from 'node:util';
import { jobIds, KEY_PREFIX, openQueue } from '@ingest/queue';
import { keys, StateStore } from '@ingest/state';
import { exitRefused, scriptConfig, scriptOptions, ScriptRefusal } from './script-refusal';
import { openScriptRedis } from './stack-redis';

const USAGE = 'usage: npm run search:reindex [-- --site ID]';
/** Track records read, and index jobs added, at once. */
const BATCH = 500;

const { values } = scriptOptions(
  () => parseArgs({ options: { site: { type: 'string' } } }),
  USAGE,
);
if (values.site !== undefined && !/^[1-9]\d*$/.test(values.site)) {
  exitRefused(
    new ScriptRefusal(
      `--site ${values.site} is not a site id (a whole number from 1 up); ${USAGE}`,
    ),
  );
}
const siteId = values.site === undefined ? undefined : Number(values.site);

const redis = await openScriptRedis(scriptConfig()).catch(exitRefused);
const index = openQueue('index', redis);
try {
  const store = new StateStore(redis);
  if (siteId !== undefined && !(await store.getSite(siteId))) {
    exitRefused(new ScriptRefusal(`there is no site ${siteId}`));
  }
  // One version per run: an index job of an earlier run that is still
  // kept would otherwise take this run's add for a repeat.
  const version = `r${Date.now()}`;
  const trackKey = new RegExp(`^${escaped(keys.track(0).slice(0, -1))}(\\d+)$`);
  let queued = 0;
  const stream = redis.scanStream({ match: `${KEY_PREFIX}:track:*`, count: 1000 });
  for await (const found of stream as AsyncIterable<string[]>) {
    const ids = found.flatMap((key) => {
      const match = trackKey.exec(key);
      return match ? [Number(match[1])] : [];
    });
    for (let at = 0; at < ids.length; at += BATCH) {
      const tracks = await store.tracksOf(ids.slice(at, at + BATCH));
      const wanted = tracks.filter((t) => siteId === undefined || t.siteId === siteId);
      await index.addBulk(
        wanted.map((track) => ({
          name: 'index',
          data: { trackId: track.id, op: 'add' as const },
          opts: { jobId: jobIds.index(track.id, 'add', version) },
        })),
      );
      queued += wanted.length;
    }
  }
  const which = siteId === undefined ? '' : ` of site ${siteId}`;
  console.log(
    `queued ${queued} track${queued === 1 ? '' : 's'}${which} for indexing; ` +
      'the notifier indexes them, and search finds each once it has',
  );
} finally {
  await index.close();
  redis.disconnect();
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
