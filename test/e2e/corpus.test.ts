/**
 * The shared corpus of real, often broken files through the whole
 * pipeline. What each class must come to is in the corpus README.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  TestStack,
  serveFiles,
  type LoopbackServer,
  type TestSite,
} from '@ingest/testkit';

const CORPUS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/corpus',
);

interface Entry {
  file: string;
  sha256: string;
  class: 'ok' | 'damaged' | 'truncated' | 'undecodable';
  decoded_duration_s: number | null;
}

const present = existsSync(path.join(CORPUS, 'manifest.json'));
const manifest: Entry[] = present
  ? JSON.parse(readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8'))
  : [];

let stack: TestStack;
let files: LoopbackServer;
let site: TestSite;

before(async () => {
  if (!present) return;
  files = await serveFiles(path.join(CORPUS, 'audio'));
  stack = await TestStack.start({ transcoders: 2 });
  site = await stack.createSite();
});

after(async () => {
  await stack?.close();
  await files?.close();
});

interface Outcome {
  entry: Entry;
  refused?: { status: number; code: string; error: string };
  uploadId?: number;
}

const skip = !present && `corpus not found at ${CORPUS}`;

test('every corpus file ends as its class says', { skip }, async (t) => {
  // Files that share a name stem would attach to each other as secondary
  // sources, and identical bytes are refused as duplicates within a job:
  // each file goes to the first job where it is neither.
  const jobs: Array<{ id: number; stems: Set<string>; hashes: Set<string> }> =
    [];
  const jobFor = async (entry: Entry) => {
    const stem = path.basename(entry.file).replace(/\.[^.]*$/, '');
    let job = jobs.find(
      (j) => !j.stems.has(stem.toLowerCase()) && !j.hashes.has(entry.sha256),
    );
    if (!job) {
      const made = await stack.call('/api/import/createJob', site.token, {
        name: `corpus ${jobs.length + 1}`,
      });
      job = { id: made.body.job_id, stems: new Set(), hashes: new Set() };
      jobs.push(job);
    }
    job.stems.add(stem.toLowerCase());
    job.hashes.add(entry.sha256);
    return job.id;
  };

  const outcomes: Outcome[] = [];
  for (const entry of manifest) {
    const url = `${files.url}/${encodeURIComponent(entry.file)}`;
    const { status, body } = await stack.call(
      '/api/import/upload',
      site.token,
      { url, job_id: await jobFor(entry), formats: 'mp3,flac' },
    );
    if (status === 200) outcomes.push({ entry, uploadId: body.upload_id });
    else outcomes.push({ entry, refused: { status, ...body } });
  }

  const byUpload = new Map<number, any>();
  for (const job of jobs) {
    await stack.call('/api/import/publish', site.token, { job_id: job.id });
    await stack.waitForJob(site.token, job.id, 300_000);
    const list = await stack.call('/api/import/list', site.token, {
      job_id: job.id,
    });
    for (const row of list.body.tracks) byUpload.set(row.upload_id, row);
  }
  t.diagnostic(`corpus spread over ${jobs.length} jobs`);

  const counts: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  for (const { entry, refused, uploadId } of outcomes) {
    const row = uploadId ? byUpload.get(uploadId) : undefined;
    const result = refused
      ? `refused:${refused.code}`
      : row.status === 'published'
        ? 'published'
        : `error:${row.error_code}`;
    counts[entry.class] ??= {};
    counts[entry.class][result] = (counts[entry.class][result] ?? 0) + 1;
    const reason = refused?.error ?? row?.error;

    switch (entry.class) {
      case 'ok': {
        if (result !== 'published') {
          problems.push(`${entry.file} (ok): ${result} ${reason}`);
          break;
        }
        const expected = entry.decoded_duration_s ?? 0;
        for (const [format, facts] of Object.entries<any>(row.renditions)) {
          const tolerance = Math.max(0.05, expected * 0.01);
          if (Math.abs(facts.duration - expected) > tolerance) {
            problems.push(
              `${entry.file}: ${format} lasts ${facts.duration} s, ` +
                `reference ${expected} s`,
            );
          }
        }
        break;
      }
      case 'undecodable':
        if (result === 'published' || !reason) {
          problems.push(`${entry.file} (undecodable): ${result}`);
        }
        break;
      case 'truncated':
        if (result !== 'error:truncated') {
          problems.push(`${entry.file} (truncated): ${result} ${reason}`);
        }
        break;
      case 'damaged':
        if (result !== 'published' && !reason) {
          problems.push(`${entry.file} (damaged): errored without reason`);
        }
        break;
    }
  }

  t.diagnostic(`corpus outcomes by class: ${JSON.stringify(counts)}`);
  assert.deepEqual(problems, []);

  // The service is still up and answering.
  const ready = await fetch(`${stack.gatewayUrl}/readyz`);
  assert.equal(ready.status, 200);
  for (const service of stack.services) {
    assert.equal(service.child.exitCode, null, `${service.name} still runs`);
  }
});
