import assert from 'node:assert/strict';
import { readdir, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { makeTone, type TestSite, type TestStack } from '@ingest/testkit';

export interface HostileContext {
  stack: TestStack;
  site: TestSite;
  jobId: number;
}

/** Asserts a clear refusal: the status, the code, a human `error`. */
export function assertRefused(
  answer: { status: number; body: any },
  status: number,
  code: string,
  message?: RegExp,
) {
  const shown = JSON.stringify(answer.body).slice(0, 300);
  console.log(`# observed ${answer.status} ${shown.slice(0, 200)}`);
  assert.equal(answer.status, status, shown);
  assert.equal(answer.body.code, code, shown);
  assert.equal(typeof answer.body.error, 'string', shown);
  if (message) assert.match(answer.body.error, message, shown);
}

/**
 * Raw calls the hostile tests make; `context` is read at call time, as
 * the stack starts in the test file's `before`.
 */
export function hostileCalls(context: () => HostileContext) {
  /** A multipart upload of `bytes` named `name` into the hostile job. */
  async function postFile(
    name: string,
    bytes: Buffer | string,
    fields: Record<string, string> = {},
  ) {
    const { stack, site, jobId } = context();
    const form = new FormData();
    form.set('job_id', String(jobId));
    for (const [key, value] of Object.entries(fields)) form.set(key, value);
    form.set('file', new Blob([bytes]), name);
    const res = await fetch(
      `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
      { method: 'POST', body: form },
    );
    return { status: res.status, body: (await res.json()) as any };
  }

  /** Sends a raw body of the given type; answers status and JSON. */
  async function postRaw(endpoint: string, type: string, body: string) {
    const { stack, site } = context();
    const res = await fetch(`${stack.gatewayUrl}/api/import/${endpoint}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${site.token}`, 'content-type': type },
      body,
    });
    return {
      status: res.status,
      connection: res.headers.get('connection'),
      body: (await res.json()) as any,
    };
  }

  /** Files under the stack's storage, relative, for path-escape checks. */
  async function storedFiles(): Promise<string[]> {
    const root = path.join(context().stack.dataDir, 'storage');
    const entries = await readdir(root, { recursive: true }).catch(() => []);
    return entries.map(String);
  }

  return { postFile, postRaw, storedFiles };
}

/**
 * The sources the hostile tests serve: a good tone, one over the byte
 * cap (~880 kB), a cut WAV, a 10 ms blip, a 16-channel WAV, a 5 Hz
 * and an 88201 Hz WAV, three named tones, and a canary elsewhere.
 */
export async function makeHostileFixtures(dir: string, canaryDir: string) {
  await makeTone(path.join(dir, 'good.wav'), { seconds: 1 });
  await makeTone(path.join(dir, 'big.wav'), { seconds: 5 });
  const cut = path.join(dir, 'cut.wav');
  await makeTone(cut, { seconds: 3 });
  await truncate(cut, Math.floor((await stat(cut)).size * 0.3));
  // 10 ms: less audio than one mp3 frame.
  await makeTone(path.join(dir, 'blip.wav'), { seconds: 0.01, channels: 1 });
  // 16 channels: more than any rendition holds.
  await makeTone(path.join(dir, 'stems.wav'), {
    seconds: 0.5,
    sampleRate: 8000,
    channels: 16,
  });
  // A header that says 5 Hz: a minute of "audio" in 1.2 kB.
  await makeTone(path.join(dir, 'five-hertz.wav'), {
    seconds: 60,
    frequency: 1,
    sampleRate: 5,
  });
  // A rate wav holds but ffmpeg's flac encoder cannot write.
  await makeTone(path.join(dir, 'odd-rate.wav'), {
    seconds: 1,
    sampleRate: 88_201,
  });
  for (const n of [1, 2, 3]) {
    await makeTone(path.join(dir, `name-${n}.wav`), {
      seconds: 1,
      tags: { title: `Name ${n}` },
    });
  }
  await makeTone(path.join(canaryDir, 'canary.wav'), { seconds: 2 });
}

/** Every import endpoint parameter that takes an id. */
export const ID_PARAMS: Array<[endpoint: string, name: string]> = [
  ['upload', 'job_id'],
  ['upload', 'upload_id'],
  ['upload', 'track_id'],
  ['setMetadata', 'upload_id'],
  ['setFormats', 'upload_id'],
  ['publish', 'job_id'],
  ['checkJob', 'job_id'],
  ['list', 'job_id'],
  ['delete', 'upload_id'],
  ['delete', 'update_id'],
];

/** Values that are no positive integer id, in the spellings seen. */
export const NOT_IDS = ['1e3', '-1', 'abc', '1.5', '0', '0x10', ' 1 2'];

/** `oncomplete` values that could carry more than one recipient. */
export const BAD_TARGETS = [
  'a@x.com,b@x.com',
  'a@x.com;b@x.com',
  'a@x.com\r\nBcc: c@x.com',
  'A <a@x.com>, b@x.com',
  'http://127.0.0.1/\r\nX-Evil: 1',
];
