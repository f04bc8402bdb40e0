/**
 * End to end: `ingest_uploads_total` counts every refused upload once,
 * by the code it was answered with, including the refusals a multipart
 * upload meets while its file arrives (slot taken, bad token, too big),
 * before the endpoint's handler runs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  heldSource,
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

/** INGEST_MAX_SOURCE_BYTES of the stack: the fixtures fit. */
const CAP = 512 * 1024;

let fixture: FixtureStack;
let dir: string;
let stack: TestStack;
let site: TestSite;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 3),
    env: { INGEST_MAX_SOURCE_BYTES: String(CAP) },
  });
  ({ dir, stack, site } = fixture);
});

after(() => fixture?.close());

/** The gateway's `ingest_uploads_total`, by `outcome/code`. */
async function uploadCounts(): Promise<Map<string, number>> {
  const text = await fetch(`${stack.gatewayUrl}/metrics`).then((r) => r.text());
  const counts = new Map<string, number>();
  // Other labels (the service's) may follow those two.
  const line =
    /^ingest_uploads_total\{outcome="(\w+)",code="(\w*)"[^}]*\} (\d+)$/gm;
  for (const [, outcome, code, value] of text.matchAll(line)) {
    counts.set(`${outcome}/${code}`, Number(value));
  }
  return counts;
}

/** A multipart upload with the token in the query, as most clients send. */
async function multipart(token: string, file: Buffer) {
  const form = new FormData();
  form.set('file', new Blob([file]), 'a.wav');
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${token}`,
    { method: 'POST', body: form },
  );
  return { status: res.status, body: (await res.json()) as any };
}

test('refusals while the file arrives are counted, each once', async () => {
  const before = await uploadCounts();
  const tone = (n: number) => readFile(path.join(dir, `tone-${n}.wav`));

  const slow = await heldSource(await tone(1));
  try {
    const holding = stack.call('/api/import/upload', site.token, {
      url: slow.url,
    });
    await slow.fetched;

    const both = await Promise.all([
      multipart(site.token, await tone(2)),
      multipart(site.token, await tone(3)),
    ]);
    for (const refused of both) {
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'upload_in_progress');
    }

    slow.release();
    const held = await holding;
    assert.equal(held.status, 200, JSON.stringify(held.body));
  } finally {
    slow.release();
    await slow.close();
  }

  const stranger = await multipart('not-a-token-of-any-site', await tone(2));
  assert.equal(stranger.status, 401, JSON.stringify(stranger.body));
  const tooBig = await multipart(site.token, Buffer.alloc(CAP + 1, 7));
  assert.equal(tooBig.status, 413, JSON.stringify(tooBig.body));
  assert.equal(tooBig.body.code, 'source_too_large');
  // Refused by the handler itself (no file, no url): still once.
  const empty = await stack.call('/api/import/upload', site.token, {});
  assert.equal(empty.status, 400, JSON.stringify(empty.body));

  const after = await uploadCounts();
  const added = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  assert.deepEqual(
    {
      accepted: added('accepted/'),
      upload_in_progress: added('refused/upload_in_progress'),
      unauthorized: added('refused/unauthorized'),
      source_too_large: added('refused/source_too_large'),
      invalid_parameter: added('refused/invalid_parameter'),
    },
    {
      accepted: 1,
      upload_in_progress: 2,
      unauthorized: 1,
      source_too_large: 1,
      invalid_parameter: 1,
    },
  );
});
