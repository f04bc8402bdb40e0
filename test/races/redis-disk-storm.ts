/**
 * Redis's disk fills while clients make jobs, upload and publish and
 * transcodes complete; Redis is then killed (SIGKILL) before it has room,
 * the disk freed and Redis started again on its port and data. Then
 * every call answered 2xx is checked (SPEC §3, "Nothing lost"): each
 * upload is in its job and ends published or errored with a code, each
 * published job completes and its webhook carries one event id; and no
 * call meanwhile answered 500 or a 2xx for what was not stored.
 *
 *   node --import tsx test/races/redis-disk-storm.ts [seed] [rounds]
 *
 * Needs root: Redis's dir is a tmpfs of its own. Rounds vary how the disk
 * fills (with an AOF rewrite going on, with or without the RDB preamble,
 * the kill at once or after seconds of MISCONF). Prints each problem
 * found and exits 1 if there was any.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  makeTone,
  startFixtureStack,
  webhookReceiver,
  type FixtureStack,
  type WebhookReceiver,
} from '@ingest/testkit';
import { seeded, type Answer, type Random } from './storm-kit';

const seed = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 8);
const CLIENTS = 3;
const TONES = 30;
const VARIANTS = ['plain', 'rewrite', 'rewrite-no-preamble', 'misconf-wait'];

interface Client {
  token: string;
  receiver: WebhookReceiver;
  /** Jobs created (2xx) → whether a publish of it answered 2xx. */
  jobs: Map<number, boolean>;
  /** Upload id (2xx) → its job. */
  uploads: Map<number, number>;
}

const problems: string[] = [];
const answers = new Map<string, number>();

async function main() {
  const disk = await mountDisk();
  let fixture: FixtureStack | undefined;
  const random = seeded(seed);
  try {
    fixture = await startFixtureStack({
      fixtures: writeTones,
      transcoders: 1,
      redisDir: disk,
      env: { INGEST_WEBHOOK_SCHEDULE: '1s,1s,2s,2s,5s,5s', INGEST_TRANSCODE_LOCK: '5s' },
    });
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const site = await fixture.stack.createSite();
      const receiver = await webhookReceiver(site.secret);
      clients.push({ token: site.token, receiver, jobs: new Map(), uploads: new Map() });
    }
    for (let round = 1; round <= rounds; round++) {
      await runRound(fixture, disk, clients, random, round);
    }
    for (const client of clients) await checkClient(fixture, client);
    for (const client of clients) await client.receiver.close();
  } finally {
    await fixture?.close();
    execFileSync('umount', [disk]);
  }
  console.log(`answers: ${JSON.stringify(Object.fromEntries(answers))}`);
  for (const problem of problems) console.log(`PROBLEM ${problem}`);
  console.log(`${problems.length} problem(s), seed ${seed}, ${rounds} rounds`);
  process.exit(problems.length ? 1 : 0);
}

async function mountDisk(): Promise<string> {
  const disk = `/tmp/ingest-disk-storm-${process.pid}`;
  await mkdir(disk, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', disk]);
  return disk;
}

async function writeTones(dir: string) {
  for (let n = 1; n <= TONES; n++) {
    await makeTone(path.join(dir, `tone-${n}.wav`), {
      seconds: 1,
      frequency: 200 + n * 20,
    });
  }
}

async function call(
  fixture: FixtureStack,
  token: string,
  endpoint: string,
  body: Record<string, unknown> | FormData,
): Promise<Answer> {
  const form = body instanceof FormData;
  const res = await fetch(`${fixture.stack.gatewayUrl}/api/import/${endpoint}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(form ? {} : { 'content-type': 'application/json' }),
    },
    body: form ? body : JSON.stringify(body),
  }).catch((err: Error) => ({ status: 0, json: async () => err.message }));
  const answer: Answer = { status: res.status, body: await res.json().catch(() => ({})) };
  const seen = `${endpoint} ${answer.status} ${answer.body?.code ?? ''}`.trim();
  answers.set(seen, (answers.get(seen) ?? 0) + 1);
  if (answer.status === 500 || answer.status === 0) {
    problems.push(`${endpoint} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer;
}

/** One client's loop: a job, up to three uploads, its publish. */
async function clientLoop(
  fixture: FixtureStack,
  client: Client,
  random: Random,
  stop: { now: boolean },
) {
  while (!stop.now) {
    const made = await call(fixture, client.token, 'createJob', {
      name: 'storm',
      oncomplete: client.receiver.url,
    });
    if (made.status !== 200) {
      await sleep(50);
      continue;
    }
    const jobId: number = made.body.job_id;
    client.jobs.set(jobId, false);
    for (let i = 0; i < 1 + Math.floor(random.next() * 3) && !stop.now; i++) {
      const n = 1 + Math.floor(random.next() * TONES);
      const form = new FormData();
      form.set('job_id', String(jobId));
      const bytes = await readFile(path.join(fixture.dir, `tone-${n}.wav`));
      form.set('file', new Blob([bytes]), `tone-${n}.wav`);
      form.set('formats', 'mp3');
      let up = await call(fixture, client.token, 'upload', form);
      // The site's slot, when a refused write left it taken, lapses.
      while (up.status === 429 && !stop.now) {
        await sleep(250);
        up = await call(fixture, client.token, 'upload', form);
      }
      if (up.status === 200) client.uploads.set(up.body.upload_id, jobId);
    }
    const published = await call(fixture, client.token, 'publish', { job_id: jobId });
    if (published.status === 200) client.jobs.set(jobId, true);
  }
}

async function runRound(
  fixture: FixtureStack,
  disk: string,
  clients: Client[],
  random: Random,
  round: number,
) {
  const { redis, redisServer } = fixture.stack;
  const variant = VARIANTS[(round - 1) % VARIANTS.length];
  const stop = { now: false };
  const loops = clients.map((c) => clientLoop(fixture, c, random, stop));
  await sleep(1000 + random.next() * 4000);

  if (variant.startsWith('rewrite')) {
    const preamble = variant === 'rewrite' ? 'yes' : 'no';
    await redis.config('SET', 'aof-use-rdb-preamble', preamble);
    await redis.call('BGREWRITEAOF').catch(() => {});
  }
  const filler = path.join(disk, 'filler');
  const { bavail, bsize } = await statfs(disk);
  await writeFile(filler, Buffer.alloc(bavail * bsize)).catch(() => {});
  if (variant === 'misconf-wait') await sleep(1500 + random.next() * 2000);
  else await sleep(random.next() * 800);
  const persistence = String(await redis.info('persistence'));
  const status = /aof_last_write_status:(\w+)/.exec(persistence)?.[1];
  await redisServer.stop('SIGKILL');
  stop.now = true;
  await rm(filler);
  await redisServer.resume();
  await Promise.all(loops);
  console.log(`round ${round} (${variant}): killed with aof_last_write_status ${status}`);
}

/** Every upload and job of the client answered 2xx, checked. */
async function checkClient(fixture: FixtureStack, client: Client) {
  const { token } = client;
  for (const [jobId, published] of client.jobs) {
    const check = await call(fixture, token, 'checkJob', { job_id: jobId });
    if (check.status === 404) {
      problems.push(`job ${jobId} (createJob 200) is gone`);
      continue;
    }
    if (!published && check.body.state === 'open') {
      const res = await call(fixture, token, 'publish', { job_id: jobId });
      if (res.status !== 200 && res.body.code !== 'job_empty') {
        problems.push(`job ${jobId}: late publish ${res.status} ${res.body.code}`);
      }
      if (res.status !== 200) continue;
    } else if (published && check.body.state === 'open') {
      problems.push(`job ${jobId}: publish answered 200, the job is open`);
      continue;
    }
    try {
      await fixture.stack.waitForJob(token, jobId, 180_000);
    } catch (err) {
      problems.push(`job ${jobId}: ${(err as Error).message}`);
    }
  }
  type Row = { upload_id: number; status: string; error?: string };
  const lists = new Map<number, Row[]>();
  for (const [uploadId, jobId] of client.uploads) {
    if (!lists.has(jobId)) {
      lists.set(jobId, (await call(fixture, token, 'list', { job_id: jobId })).body.tracks ?? []);
    }
    const row = lists.get(jobId)!.find((r) => r.upload_id === uploadId);
    if (!row) problems.push(`upload ${uploadId} (200) not in job ${jobId}`);
    else if (row.status !== 'published' && row.status !== 'error') {
      problems.push(`upload ${uploadId}: ${row.status}`);
    } else if (row.status === 'error') {
      // Every tone transcodes: an error here came from the faults.
      problems.push(`upload ${uploadId} errored: ${JSON.stringify(row)}`);
    }
  }
  const idsOf = (jobId: number) =>
    new Set(client.receiver.received.filter((r) => r.body.job_id === jobId).map((r) => r.id));
  for (const [jobId] of client.jobs) {
    const check = await call(fixture, token, 'checkJob', { job_id: jobId });
    if (check.body.state !== 'complete') continue;
    // A completion put back during the faults waits out its backoff.
    const deadline = Date.now() + 120_000;
    while (idsOf(jobId).size === 0 && Date.now() < deadline) await sleep(500);
    const ids = idsOf(jobId);
    if (ids.size !== 1) {
      const now = await call(fixture, token, 'checkJob', { job_id: jobId });
      problems.push(`job ${jobId}: ${ids.size} webhook event ids; ${JSON.stringify(now.body)}`);
    }
  }
  await sleep(5_000);
  for (const [jobId] of client.jobs) {
    if (idsOf(jobId).size > 1) problems.push(`job ${jobId}: event ids ${[...idsOf(jobId)]}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await main().catch((err) => {
  console.error(err);
  process.exit(2);
});
