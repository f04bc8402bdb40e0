/**
 * Race storms against a real stack (two gateways, two transcoders, the
 * notifier, a private Redis, all on loopback): each round hammers one
 * job with conflicting calls at once, then checks the invariants
 * (storm-kit.ts). Repeatable: the same seed sends the same calls.
 *
 *   node --import tsx test/races/storm.ts [seed] [rounds]
 *
 * Prints each problem found and exits 1 if there was any.
 */
import { keys } from '@ingest/state';
import { waitUntil } from '@ingest/testkit';
import {
  TONES,
  checkInvariants,
  newLedger,
  seeded,
  settle,
  startStorm,
  uploadWithRetry,
  type Answer,
  type Ledger,
  type Random,
  type Storm,
} from './storm-kit';
import { killRound } from './storm-kill';
import { updateStorm } from './storm-updates';

const seed = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 6);
const FORMATS = ['mp3', 'wav', 'aiff', 'flac'];

type Action = {
  name: string;
  uploadId?: number;
  /** The one meta field a setMetadata call sets. */
  field?: string;
  run: () => Promise<Answer>;
};
/** Each setMetadata of a round sets a field of its own. */
const META_FIELDS = ['Mood', 'Genre', 'Label'];

function formatsOf(random: Random): string {
  const picked = FORMATS.filter(() => random.next() < 0.5);
  return (picked.length ? picked : ['mp3']).join(',');
}

/** The conflicting calls of one round, in a seeded order. */
function actionsFor(
  storm: Storm,
  random: Random,
  jobId: number,
  main: boolean,
  uploads: Map<number, number>,
  spare: number[],
  hook: string,
): Action[] {
  const ids = [...uploads.keys()];
  const url = (n: number, ext: string) =>
    `${storm.fixture.files.url}/tone-${n}.${ext}`;
  const job = main && random.next() < 0.5 ? {} : { job_id: jobId };
  const gw = () => random.int(2);
  const key = `storm-${seed}-${jobId}`;
  const publishes: Action[] = [
    { name: 'publish', run: () => storm.call('/api/import/publish',
      { ...job, oncomplete: hook }, gw()) },
    { name: 'publish', run: () => storm.call('/api/import/publish',
      { job_id: jobId, oncomplete: hook }, gw()) },
    { name: 'publish-key', run: () => storm.call('/api/import/publish',
      { job_id: jobId, oncomplete: hook }, 0, { 'idempotency-key': key }) },
    { name: 'publish-key', run: () => storm.call('/api/import/publish',
      { job_id: jobId, oncomplete: hook }, 1, { 'idempotency-key': key }) },
  ];
  // Half the rounds publish only after the storm: the calls then race
  // each other rather than mostly meet a published job.
  const all: Action[] = [
    ...(random.next() < 0.5 ? publishes : []),
    { name: 'delete-all', run: () => storm.call('/api/import/delete',
      random.next() < 0.5 ? { upload_id: 'ALL' }
        : { upload_id: 'ALL', job_id: jobId }, gw()) },
    { name: 'create-job', run: () => storm.call('/api/import/createJob',
      { name: 'side' }, gw()) },
  ];
  for (let k = 0; k < 3; k++) {
    const target = random.pick(ids);
    all.push(
      { name: 'delete', uploadId: target, run: () =>
        storm.call('/api/import/delete',
        { upload_id: target }, gw()) },
      { name: 'setMetadata', uploadId: target, field: META_FIELDS[k],
        run: () => storm.call('/api/import/setMetadata', { upload_id: target,
          meta: { [META_FIELDS[k]]: `v${jobId}-${k}` } }, gw()) },
      { name: 'setFormats', run: () => storm.call('/api/import/setFormats',
        { upload_id: target, formats: formatsOf(random) }, gw()) },
    );
  }
  const target = random.pick(ids);
  all.push({ name: 'attach', run: () => uploadWithRetry(storm,
    { upload_id: target, url: url(uploads.get(target)!, 'flac') }, gw()) });
  if (spare.length) {
    const n = spare.pop()!;
    all.push({ name: 'upload', run: () => uploadWithRetry(storm,
      { ...job, url: url(n, 'wav'), oncomplete: hook }, gw()) });
  }
  return random.shuffle(all).slice(0, 6 + random.int(all.length - 5));
}

function record(ledger: Ledger, action: Action, answer: Answer) {
  if (answer.status !== 200) return;
  const { body } = answer;
  if (action.name === 'upload' && body.upload_id) {
    ledger.accepted.add(body.upload_id);
  }
  if (action.name === 'delete') ledger.deletedOne.add(action.uploadId!);
  if (action.name === 'delete-all') ledger.deletedByAll += body.deleted;
}

async function round(storm: Storm, random: Random, r: number) {
  storm.site = await storm.fixture.stack.createSite();
  const ledger = newLedger();
  const main = random.next() < 0.5;
  const jobId = main
    ? (await storm.call('/api/import/checkJob', {})).body.job_id
    : (await storm.call('/api/import/createJob', { name: `r${r}` })).body
        .job_id;
  const hook = `${storm.receiver.url}/job-${jobId}`;
  const tones = random.shuffle(
    Array.from({ length: TONES }, (_, i) => i + 1),
  );
  const uploads = new Map<number, number>();
  const problems0: string[] = [];
  const count = 3 + random.int(4);
  for (let k = 0; k < count; k++) {
    const n = tones.pop()!;
    const answer = await uploadWithRetry(storm, {
      job_id: jobId,
      url: `${storm.fixture.files.url}/tone-${n}.wav`,
      autopublish: random.next() < 0.3 ? 1 : 0,
      oncomplete: hook,
    }, random.int(2));
    if (answer.status !== 200) {
      return [`round ${r}: setup upload ${answer.status} ` +
        JSON.stringify(answer.body)];
    }
    uploads.set(answer.body.upload_id, n);
    ledger.accepted.add(answer.body.upload_id);
  }

  problems0.push(...(await mergeStorm(storm, [...uploads.keys()][0])));
  const actions = actionsFor(storm, random, jobId, main, uploads, tones,
    hook);
  const answers = await Promise.all(actions.map((a) => a.run()));
  const outcomes: string[] = [];
  const problems: string[] = [...problems0];
  actions.forEach((action, i) => {
    const answer = answers[i];
    outcomes.push(`${action.name}:${answer.status}` +
      (answer.body?.code ? `/${answer.body.code}` : ''));
    if (answer.status >= 500) {
      problems.push(`${action.name} answered ${answer.status} ` +
        JSON.stringify(answer.body));
    }
  });
  actions.forEach((action, i) => record(ledger, action, answers[i]));

  // Whatever still waits is published now, so every job ends.
  const jobs = await siteJobs(storm);
  for (const id of jobs) {
    const check = await storm.call('/api/import/checkJob', { job_id: id });
    if (check.body.state !== 'open') continue;
    await storm.call('/api/import/publish', { job_id: id, oncomplete: hook });
  }
  problems.push(...(await settle(storm, jobs)));
  problems.push(...(await checkInvariants(storm, jobs, ledger)));
  problems.push(...(await checkWebhooks(storm, jobs)));
  problems.push(...(await checkMetaKept(storm, actions, answers)));
  console.log(`round ${r}: ${outcomes.join(' ')}`);

  if (r % 3 === 0) {
    const killed = await killRound(storm, random, tones);
    console.log(`round ${r} kill: ${killed.outcomes.join(', ')}`);
    problems.push(...killed.problems);
    problems.push(...(await checkWebhooks(storm, [killed.jobId])));
  }

  const published = (await storm.fixture.stack.store.listUploads(jobId))
    .filter((u) => u.status === 'published' && u.trackId);
  if (published.length) {
    const upload = random.pick(published);
    const tone = uploads.get(upload.id) ?? 1;
    const updates = await updateStorm(storm, random, upload.trackId!, tone);
    console.log(`round ${r} updates: ${updates.outcomes.join(' ')}`);
    problems.push(...updates.problems);
  }
  return problems.map((p) => `round ${r}: ${p}`);
}

/**
 * A setMetadata answered 200 is in the upload's meta, and in its track's
 * once published (nothing else in the storm sets these fields).
 */
async function checkMetaKept(
  storm: Storm,
  actions: Action[],
  answers: Answer[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, action] of actions.entries()) {
    if (action.name !== 'setMetadata' || answers[i].status !== 200) continue;
    const want = answers[i].body.meta[action.field!];
    const upload = await storm.fixture.stack.store.uploadById(
      action.uploadId!);
    if (!upload) continue;
    if (upload.meta[action.field!] !== want) {
      problems.push(`upload ${upload.id}: setMetadata ${action.field}=` +
        `${want} answered 200, meta has ${upload.meta[action.field!]}`);
    }
    if (upload.status !== 'published' || !upload.trackId) continue;
    const track = await storm.call('/api/tracks/getById', {
      track_id: upload.trackId });
    const has = track.body.track?.meta?.[action.field!];
    if (has !== want) {
      problems.push(`track ${upload.trackId}: ${action.field}=${has}, ` +
        `setMetadata answered 200 with ${want}`);
    }
  }
  return problems;
}

const MERGED = ['Album', 'Artist', 'Composer', 'Publisher', 'Catalog',
  'BPM', 'Keywords', 'Instruments', 'Tempo', 'Version', 'Copyright', 'ISRC'];

/**
 * setMetadata calls on one waiting upload at once, each setting a field
 * of its own, through both gateways: every field answered 200 stays.
 */
async function mergeStorm(storm: Storm, uploadId: number) {
  const answers = await Promise.all(MERGED.map((field, k) =>
    storm.call('/api/import/setMetadata',
      { upload_id: uploadId, meta: { [field]: `m${k}` } }, k)));
  const upload = await storm.fixture.stack.store.uploadById(uploadId);
  const lost = MERGED.filter((field, k) =>
    answers[k].status === 200 && upload?.meta[field] !== `m${k}`);
  return lost.length
    ? [`upload ${uploadId}: setMetadata of ${lost} answered 200, lost`]
    : [];
}

async function siteJobs(storm: Storm): Promise<number[]> {
  const ids = await storm.fixture.stack.redis.zrange(
    keys.siteJobs(storm.site.id), 0, -1);
  return ids.map(Number);
}

/** One webhook per completed job that has uploads, counts as checkJob. */
async function checkWebhooks(storm: Storm, jobs: number[]) {
  const problems: string[] = [];
  for (const jobId of jobs) {
    const check = await storm.call('/api/import/checkJob', { job_id: jobId });
    if (check.body.state !== 'complete') continue;
    const mine = () =>
      storm.receiver.received.filter((w) => w.body.job_id === jobId);
    try {
      await waitUntil(() => mine().length >= 1, { timeoutMs: 30_000 });
    } catch {
      problems.push(`job ${jobId} complete, no webhook`);
      continue;
    }
    const { q, i, d, e } = check.body;
    for (const hook of mine()) {
      const counts = JSON.stringify(hook.body.counts);
      if (counts !== JSON.stringify({ q, i, d, e })) {
        problems.push(`job ${jobId} webhook counts ${counts} vs checkJob`);
      }
    }
    const ids = new Set(mine().map((w) => w.id));
    if (mine().length > 1) {
      problems.push(`job ${jobId}: ${mine().length} webhooks, ` +
        `${ids.size} event ids`);
    }
  }
  return problems;
}

const storm = await startStorm();
const random = seeded(seed);
const problems: string[] = [];
try {
  for (let r = 1; r <= rounds; r++) {
    problems.push(...(await round(storm, random, r)));
  }
} finally {
  await storm.close();
}
for (const p of problems) console.log(`PROBLEM ${p}`);
console.log(`seed ${seed}: ${rounds} rounds, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
