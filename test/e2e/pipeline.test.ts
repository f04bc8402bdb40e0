/**
 * End to end: real redis-server, the three services as processes, real
 * ffmpeg, sources served over loopback HTTP, a webhook receiver that
 * verifies signatures with `standardwebhooks`, and a real SMTP server.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, truncate, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ffprobe,
  makeTone,
  smtpSink,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type SmtpSink,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

/** SPEC §2: a download's Content-Type, written out here on purpose. */
const AUDIO_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  aiff: 'audio/aiff',
  flac: 'audio/flac',
};

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let smtp: SmtpSink;
let stack: TestStack;
let site: TestSite;

async function writeFixtures(dir: string) {
  await makeTone(path.join(dir, 'tone-a.wav'), {
    seconds: 4,
    tags: { title: 'Tone A', artist: 'Test Artist' },
  });
  await makeTone(path.join(dir, 'hires.flac'), {
    seconds: 3,
    sampleRate: 96_000,
    codec: 'flac',
    args: ['-sample_fmt', 's32', '-bits_per_raw_sample', '24'],
  });
  await makeTone(path.join(dir, 'clip.mp3'), {
    seconds: 2,
    sampleRate: 48_000,
    codec: 'libmp3lame',
  });
  await makeTone(path.join(dir, 'cut.wav'), { seconds: 10 });
  const cut = path.join(dir, 'cut.wav');
  await truncate(cut, Math.floor((await stat(cut)).size * 0.3));
  await writeFile(path.join(dir, 'notes.txt'), 'just some text\n'.repeat(50));
}

before(async () => {
  smtp = await smtpSink();
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    env: { SMTP_URL: smtp.url },
  });
  ({ dir, files, stack, site } = fixture);
});

after(async () => {
  await fixture?.close();
  await smtp?.close();
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

async function download(trackId: number, format: string, range?: string) {
  const res = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
      `&format=${format}&token=${site.token}`,
    { headers: range ? { range } : {} },
  );
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('a job with a webhook', () => {
  let jobId: number;
  const uploads: Record<string, number> = {};
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

  before(async () => {
    receiver = await webhookReceiver(site.secret);
  });
  after(() => receiver.close());

  test('upload by URL reads tags and answers SPEC §2', async () => {
    const { status, body } = await call('upload', {
      url: `${files.url}/tone-a.wav`,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.status, 'uploaded');
    assert.deepEqual(body.formats, ['mp3', 'wav']);
    assert.deepEqual(body.sources, ['wav']);
    assert.equal(body.meta.Title, 'Tone A');
    assert.equal(body.meta.Artist, 'Test Artist');
    assert.equal(body.meta.Filename, 'tone-a.wav');
    uploads.a = body.upload_id;

    const hires = await call('upload', {
      url: `${files.url}/hires.flac`,
      formats: 'mp3,wav,aiff,flac',
    });
    assert.equal(hires.status, 200, JSON.stringify(hires.body));
    uploads.hires = hires.body.upload_id;
  });

  test('multipart upload with form-encoded meta', async () => {
    const form = new FormData();
    form.set('meta[Title]', 'Multipart clip');
    form.set(
      'file',
      new Blob([await readFile(path.join(dir, 'clip.mp3'))]),
      'clip.mp3',
    );
    const res = await fetch(
      `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
      { method: 'POST', body: form },
    );
    const body = (await res.json()) as Record<string, any>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.sources, ['mp3']);
    assert.equal(body.meta.Title, 'Multipart clip');
    uploads.clip = body.upload_id;
  });

  test('setMetadata merges, blank clears; setFormats tells what is added', async () => {
    const meta = await call('setMetadata', {
      upload_id: uploads.a,
      'meta[Title]': 'Renamed',
      'meta[Artist]': '',
      'meta[Custom: External ID]': 'X-1',
    });
    assert.equal(meta.status, 200, JSON.stringify(meta.body));
    assert.equal(meta.body.meta.Title, 'Renamed');
    assert.equal(meta.body.meta.Artist, undefined);
    assert.equal(meta.body.meta['Custom: External ID'], 'X-1');

    const formats = await call('setFormats', {
      upload_id: uploads.clip,
      formats: ['mp3', 'flac'],
    });
    assert.equal(formats.status, 200, JSON.stringify(formats.body));
    assert.deepEqual(formats.body.track.formats, ['mp3', 'flac']);
    // clip.mp3 is lame's default 128 kb/s: its mp3 is encoded to 320.
    assert.deepEqual(formats.body.track.added, ['mp3', 'flac']);
  });

  test('bad input is refused with a code, nothing else changes', async () => {
    const unknown = await call('setMetadata', {
      upload_id: uploads.a,
      meta: { Title: 'x', Colour: 'red', Flavour: 'sweet' },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'unknown_fields');
    assert.deepEqual(unknown.body.fields, ['Colour', 'Flavour']);

    const text = await call('upload', { url: `${files.url}/notes.txt` });
    assert.equal(text.status, 415, JSON.stringify(text.body));
    assert.equal(text.body.code, 'not_audio');

    const missing = await call('upload', { url: `${files.url}/nope.wav` });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.code, 'fetch_failed');
    assert.match(missing.body.error, /HTTP 404/);

    const put = await fetch(
      `${stack.gatewayUrl}/api/import/checkJob?token=${site.token}`,
      { method: 'PUT' },
    );
    assert.equal(put.status, 405);
    assert.equal(((await put.json()) as any).code, 'method_not_allowed');

    const badToken = await stack.call('/api/import/checkJob', 'wrong-token');
    assert.equal(badToken.status, 401);
    assert.equal(badToken.body.code, 'unauthorized');

    const check = await call('checkJob');
    assert.deepEqual([check.body.q, check.body.e], [3, 0]);
  });

  test('publish transcodes every upload and sends one signed webhook', async () => {
    const published = await call('publish', { oncomplete: receiver.url });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    assert.equal(published.body.queued, 3);
    jobId = published.body.job_id;

    const [hook] = await receiver.waitFor(1);
    assert.ok(hook.verified, 'signature verifies with standardwebhooks');
    assert.equal(hook.body.type, 'job.completed');
    assert.equal(hook.body.job_id, jobId);
    assert.deepEqual(hook.body.counts, { q: 0, i: 0, d: 3, e: 0 });
    const tracks = hook.body.tracks as Array<Record<string, any>>;
    assert.equal(tracks.length, 3);
    for (const track of tracks) {
      for (const facts of Object.values(track.formats) as any[]) {
        assert.match(facts.sha256, /^[0-9a-f]{64}$/);
        assert.match(facts.url, /\/api\/tracks\/download\?track_id=/);
      }
    }

    const check = await stack.waitForJob(site.token, jobId);
    assert.deepEqual(
      [check.state, check.q, check.i, check.d, check.e],
      ['complete', 0, 0, 3, 0],
    );
    // The attempt is logged once the receiver's answer is back at the
    // notifier: a moment after the receiver has the POST.
    const deliveries = await waitUntil(
      async () => {
        const { body } = await call('checkJob', { job_id: jobId });
        return body.deliveries.length > 0 && body.deliveries;
      },
      { timeoutMs: 30_000, message: 'the webhook delivery was never logged' },
    );
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0].ok, true);
  });

  test('renditions follow the encoding policy and download intact', async () => {
    const list = await call('list', { job_id: jobId });
    const byUpload = new Map(
      list.body.tracks.map((t: any) => [t.upload_id, t]),
    ) as Map<number, any>;
    const hires = byUpload.get(uploads.hires);
    assert.ok(hires.track_id);

    const { body } = await stack.call('/api/tracks/getById', site.token, {
      track_id: hires.track_id,
    });
    const formats = body.track.formats;
    assert.deepEqual(Object.keys(formats).sort(), ['aiff', 'flac', 'mp3', 'wav']);
    assert.equal(formats.mp3.sample_rate, 48_000);
    assert.equal(formats.mp3.bitrate, 320_000);
    assert.equal(formats.flac.sample_rate, 96_000);
    assert.equal(formats.flac.bit_depth, 24);
    assert.equal(formats.wav.bit_depth, 24);

    for (const [format, facts] of Object.entries(formats) as any[]) {
      const { res, bytes } = await download(hires.track_id, format);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), AUDIO_TYPES[format]);
      assert.equal(Number(res.headers.get('content-length')), facts.bytes);
      assert.equal(
        createHash('sha256').update(bytes).digest('hex'),
        facts.sha256,
      );
      const file = path.join(dir, `out.${format}`);
      await writeFile(file, bytes);
      const probed = await ffprobe(file);
      const audio = probed.streams.filter((s) => s.codec_type === 'audio');
      assert.equal(audio.length, 1);
      assert.ok(
        Math.abs(Number(probed.format.duration) - 3) < 0.06,
        `${format} lasts ${probed.format.duration}`,
      );
    }
    const part = await download(hires.track_id, 'mp3', 'bytes=10-19');
    assert.equal(part.res.status, 206);
    assert.equal(part.bytes.length, 10);

    const a = byUpload.get(uploads.a);
    const track = await stack.call('/api/tracks/getById', site.token, {
      track_id: a.track_id,
    });
    assert.equal(track.body.track.meta.Title, 'Renamed');
  });

  test('a published job takes no more uploads; other sites see nothing', async () => {
    const late = await call('upload', {
      url: `${files.url}/tone-a.wav`,
      job_id: jobId,
    });
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'job_closed');

    const other = await stack.createSite();
    const peek = await stack.call('/api/import/list', other.token, {
      job_id: jobId,
    });
    assert.equal(peek.status, 404);
    assert.equal(peek.body.tracks, undefined);
  });
});

describe('a job with an email and a broken file', () => {
  test('the broken upload errors with its reason; the email arrives', async () => {
    const job = await call('createJob', { name: 'email job' });
    const jobId = job.body.job_id;
    const good = await call('upload', {
      url: `${files.url}/tone-a.wav`,
      job_id: jobId,
    });
    const cut = await call('upload', {
      url: `${files.url}/cut.wav`,
      job_id: jobId,
    });
    assert.equal(good.status, 200);
    assert.equal(cut.status, 200, JSON.stringify(cut.body));

    const published = await call('publish', {
      job_id: jobId,
      oncomplete: 'catalog@example.com',
    });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const check = await stack.waitForJob(site.token, jobId);
    assert.deepEqual([check.d, check.e], [1, 1]);

    const list = await call('list', { job_id: jobId });
    const broken = list.body.tracks.find(
      (t: any) => t.upload_id === cut.body.upload_id,
    );
    assert.equal(broken.status, 'error');
    assert.equal(broken.error_code, 'truncated');
    assert.match(broken.error, /header says 10(\.0)? s/);

    const [mail] = await smtp.waitFor(1);
    assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', 'catalog@example.com');
    assert.match(mail.subject ?? '', new RegExp(String(jobId)));
    assert.ok(mail.text && mail.html, 'plain text and HTML parts');
    assert.match(mail.text ?? '', /truncated.* \[truncated\]/);
  });
});
