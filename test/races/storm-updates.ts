/**
 * The track-update storm of storm.ts: a deferred update of a published
 * track, then at once its delete, its job's publish, an immediate update
 * of the same track and the track's delete. Afterwards the update is
 * gone or ended, the job's counters add up, and a deleted track leaves
 * no file and no record behind.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { keys } from '@ingest/state';
import { waitUntil } from '@ingest/testkit';
import {
  settle,
  uploadWithRetry,
  type Answer,
  type Random,
  type Storm,
} from './storm-kit';

export async function updateStorm(
  storm: Storm,
  random: Random,
  trackId: number,
  tone: number,
): Promise<{ outcomes: string[]; problems: string[] }> {
  const { redis } = storm.fixture.stack;
  const problems: string[] = [];
  const job = await storm.call('/api/import/createJob', { name: 'upd' });
  const jobId = job.body.job_id as number;
  const url = `${storm.fixture.files.url}/tone-${tone}.flac`;
  const deferred = await uploadWithRetry(storm, {
    track_id: trackId,
    job_id: jobId,
    url,
  }, random.int(2));
  if (deferred.status !== 200) {
    return { outcomes: [], problems: [`update refused ${deferred.status} ` +
      JSON.stringify(deferred.body)] };
  }
  const updateId = deferred.body.update_id as number;

  const gw = () => random.int(2);
  const calls: Array<[string, () => Promise<Answer>]> = random.shuffle([
    ['delete-update', () => storm.call('/api/import/delete',
      { update_id: updateId }, gw())],
    ['publish', () => storm.call('/api/import/publish',
      { job_id: jobId }, gw())],
    ['immediate', () => uploadWithRetry(storm,
      { track_id: trackId, immediate: 1, url, format: 'mp3' }, gw())],
    ['track-delete', () => storm.call('/api/tracks/delete',
      { track_id: trackId }, gw())],
  ]);
  const answers = await Promise.all(calls.map(([, run]) => run()));
  const outcomes = calls.map(([name], i) =>
    `${name}:${answers[i].status}` +
    (answers[i].body?.code ? `/${answers[i].body.code}` : ''));
  answers.forEach((answer, i) => {
    if (answer.status >= 500) {
      problems.push(`${calls[i][0]} answered ${answer.status} ` +
        JSON.stringify(answer.body));
    }
  });

  await storm.call('/api/import/publish', { job_id: jobId });
  problems.push(...(await settle(storm, [jobId])));
  const dropped = answers[calls.findIndex(([n]) => n === 'delete-update')];
  const update = await redis.hgetall(keys.update(updateId));
  if (dropped.status === 200 && update.id) {
    problems.push(`update ${updateId} deleted, record left`);
  }
  if (dropped.status !== 200 && !['published', 'error']
    .includes(update.status)) {
    problems.push(`update ${updateId} ended ${update.status}`);
  }
  const check = await storm.call('/api/import/checkJob', { job_id: jobId });
  const { q, i, d, e } = check.body;
  const waiting = await redis.zcard(keys.jobUpdates(jobId));
  if (q + i + d + e !== waiting) {
    problems.push(`job ${jobId}: q+i+d+e=${q + i + d + e}, ${waiting} updates`);
  }

  const deleted = answers[calls.findIndex(([n]) => n === 'track-delete')];
  if (deleted.status === 200) {
    problems.push(...(await trackGone(storm, trackId)));
  }
  return { outcomes, problems };
}

/** No record and, once running updates end, no file of a deleted track. */
async function trackGone(storm: Storm, trackId: number): Promise<string[]> {
  const { redis, dataDir } = storm.fixture.stack;
  const dir = path.join(dataDir, 'storage', 'tracks', String(trackId));
  const files = () => readdir(dir).catch(() => [] as string[]);
  try {
    // An immediate update still running ends track_missing and removes
    // its files; wait for that rather than for a time.
    await waitUntil(async () => (await files()).length === 0,
      { timeoutMs: 60_000, intervalMs: 200 });
  } catch {
    return [`track ${trackId} deleted, files left: ${await files()}`];
  }
  if (await redis.exists(keys.track(trackId))) {
    return [`track ${trackId} deleted, record left`];
  }
  return [];
}
