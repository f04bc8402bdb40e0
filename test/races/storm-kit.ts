/**
 * What the race storms (storm.ts) run on: a stack with two gateways on
 * loopback, a seeded random source, API calls through either gateway,
 * and the invariants checked after each storm.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { keys } from '@ingest/state';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type TestSite,
  type WebhookReceiver,
} from '@ingest/testkit';

export type Answer = { status: number; body: any };

/** mulberry32: the same seed gives the same storm. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)],
    shuffle: <T>(items: T[]): T[] => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
}
export type Random = ReturnType<typeof seeded>;

export const TONES = 24;

/** tone-N.wav and tone-N.flac: one recording, two formats, per N. */
async function writeTones(dir: string) {
  for (let n = 1; n <= TONES; n++) {
    const seconds = 1 + n / 10;
    await makeTone(path.join(dir, `tone-${n}.wav`), { seconds });
    await makeTone(path.join(dir, `tone-${n}.flac`), {
      seconds,
      codec: 'flac',
    });
  }
}

export interface Storm {
  fixture: FixtureStack;
  gateways: string[];
  receiver: WebhookReceiver;
  site: TestSite;
  call(endpoint: string, params: Record<string, unknown>, via?: number,
    headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export async function startStorm(): Promise<Storm> {
  const fixture = await startFixtureStack({
    fixtures: writeTones,
    transcoders: 2,
    env: { INGEST_AUTOPUBLISH_IDLE: '2s' },
  });
  const extra = await fixture.stack.startService('gateway');
  const gateways = [
    fixture.stack.gatewayUrl,
    `http://127.0.0.1:${extra.port}`,
  ];
  const receiver = await webhookReceiver(fixture.site.secret);
  let site = fixture.site;
  const call: Storm['call'] = async (endpoint, params, via = 0, headers) => {
    const res = await fetch(`${gateways[via % 2]}${endpoint}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${site.token}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(params),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body };
  };
  const storm: Storm = {
    fixture,
    gateways,
    receiver,
    get site() {
      return site;
    },
    set site(value) {
      site = value;
    },
    call,
    close: async () => {
      await receiver.close();
      await fixture.close();
    },
  };
  return storm;
}

/** An upload call, sent again while the site's upload slot is taken. */
export async function uploadWithRetry(
  storm: Storm,
  params: Record<string, unknown>,
  via = 0,
): Promise<Answer> {
  for (;;) {
    const answer = await storm.call('/api/import/upload', params, via);
    if (answer.status !== 429) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Ledger {
  /** Upload ids that `upload` answered as new uploads. */
  accepted: Set<number>;
  /** Upload ids a single delete answered as deleted. */
  deletedOne: Set<number>;
  /** Sum of `deleted` of ALL deletes. */
  deletedByAll: number;
  /** Track updates answered (update_id) and deleted. */
  updates: Set<number>;
  updatesDeleted: number;
}

export const newLedger = (): Ledger => ({
  accepted: new Set(),
  deletedOne: new Set(),
  deletedByAll: 0,
  updates: new Set(),
  updatesDeleted: 0,
});

/** Every job of the site done, or the ones still going after `ms`. */
export async function settle(storm: Storm, jobIds: number[], ms = 120_000) {
  const stuck: string[] = [];
  for (const jobId of jobIds) {
    const check = await storm.call('/api/import/checkJob', { job_id: jobId });
    if (check.body.state === 'open') continue;
    try {
      await waitUntil(async () => {
        const now = await storm.call('/api/import/checkJob', {
          job_id: jobId,
        });
        return now.body.state === 'complete';
      }, { timeoutMs: ms, intervalMs: 200 });
    } catch {
      const now = await storm.call('/api/import/checkJob', { job_id: jobId });
      stuck.push(`job ${jobId} stuck: ${JSON.stringify(now.body)}`);
    }
  }
  return stuck;
}

/** The invariants of SPEC §2–§4 over one site's jobs; problems found. */
export async function checkInvariants(
  storm: Storm,
  jobIds: number[],
  ledger: Ledger,
): Promise<string[]> {
  const problems: string[] = [];
  const { redis } = storm.fixture.stack;
  const listed = new Set<number>();
  const trackOwners = new Map<number, number>();
  for (const jobId of jobIds) {
    const check = await storm.call('/api/import/checkJob', { job_id: jobId });
    const list = await storm.call('/api/import/list', { job_id: jobId });
    const rows = list.body.tracks as Array<any>;
    const by = { q: 0, i: 0, d: 0, e: 0 } as Record<string, number>;
    for (const row of rows) {
      listed.add(row.upload_id);
      const counter = ({ uploaded: 'q', queued: 'q', transcoding: 'i',
        published: 'd', error: 'e' } as Record<string, string>)[row.status];
      by[counter]++;
      if (row.status === 'published') {
        if (!row.track_id) problems.push(`upload ${row.upload_id}: no track`);
        const owner = trackOwners.get(row.track_id);
        if (owner !== undefined && owner !== row.upload_id) {
          problems.push(`track ${row.track_id} of ${owner} and ${row.upload_id}`);
        }
        trackOwners.set(row.track_id, row.upload_id);
      }
      if (check.body.state === 'complete' && !['published', 'error']
        .includes(row.status)) {
        problems.push(`job ${jobId} complete, upload ${row.upload_id} ${row.status}`);
      }
    }
    // Updates count in the job's counters but are not listed.
    const c = check.body;
    const counted = c.q + c.i + c.d + c.e;
    const updatesOfJob = await redis.zcard(keys.jobUpdates(jobId));
    if (counted !== rows.length + updatesOfJob) {
      problems.push(`job ${jobId}: q+i+d+e=${counted}, list ${rows.length}` +
        ` + ${updatesOfJob} updates (${JSON.stringify(c)})`);
    }
    if (updatesOfJob === 0) {
      for (const k of ['q', 'i', 'd', 'e']) {
        if (c[k] !== by[k]) {
          problems.push(`job ${jobId}: ${k}=${c[k]} but list has ${by[k]}`);
        }
      }
    }
    for (const k of ['q', 'i', 'd', 'e']) {
      if (c[k] < 0) problems.push(`job ${jobId}: ${k}=${c[k]} < 0`);
    }
  }
  for (const id of ledger.accepted) {
    const gone = !listed.has(id);
    const exists = (await redis.exists(keys.upload(id))) === 1;
    if (ledger.deletedOne.has(id) && exists) {
      problems.push(`upload ${id} deleted, key ${keys.upload(id)} left`);
    }
    if (gone && exists) problems.push(`upload ${id} not listed but stored`);
  }
  const missing = [...ledger.accepted].filter((id) => !listed.has(id));
  const deleted = ledger.deletedOne.size + ledger.deletedByAll;
  if (missing.length !== deleted) {
    problems.push(`${missing.length} accepted uploads gone (${missing}), ` +
      `${deleted} deletes answered`);
  }
  problems.push(...(await orphanSources(storm)));
  return problems;
}

/** Stored sources no upload or update refers to any more. */
async function orphanSources(storm: Storm): Promise<string[]> {
  const { redis, dataDir } = storm.fixture.stack;
  const dir = path.join(dataDir, 'storage', 'sources', String(storm.site.id));
  const files = await readdir(dir).catch(() => [] as string[]);
  if (files.length === 0) return [];
  const referenced = new Set<string>();
  for (const pattern of [keys.upload(0), keys.update(0)]) {
    const match = pattern.replace(/0$/, '*');
    for (const key of await redis.keys(match)) {
      if (!/:\d+$/.test(key)) continue;
      const sources = await redis.hget(key, 'sources');
      for (const s of Object.values(JSON.parse(sources ?? '{}')) as any[]) {
        referenced.add(path.basename(s.storageKey));
      }
      const single = await redis.hget(key, 'source');
      if (single) referenced.add(path.basename(JSON.parse(single).storageKey));
    }
  }
  return files
    .filter((f) => !referenced.has(f) && !f.includes('.tmp'))
    .map((f) => `source file ${f} referenced by nothing`);
}
