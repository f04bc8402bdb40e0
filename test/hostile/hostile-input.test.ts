/**
 * Hostile and broken input against the real stack (private URLs allowed,
 * so the loopback source host can misbehave): every case answers a clear
 * 4xx or becomes an errored upload with a reason, the service stays up,
 * and a good upload in the same job still publishes. Figures of each
 * case are in docs/reliability.md (Hostile input).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestStack, type TestSite } from '@ingest/testkit';
import {
  assertRefused,
  BAD_TARGETS,
  ID_PARAMS,
  NOT_IDS,
  hostileCalls,
  makeHostileFixtures,
} from './hostile-calls';
import { hostileServer, type HostileServer } from './hostile-server';

const MAX_SOURCE_BYTES = 600_000;

let dir: string;
let canaryDir: string;
let server: HostileServer;
let stack: TestStack;
let site: TestSite;
let jobId: number;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-hostile-'));
  canaryDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-canary-'));
  await makeHostileFixtures(dir, canaryDir);

  server = await hostileServer(dir);
  stack = await TestStack.start({
    env: {
      INGEST_MAX_SOURCE_BYTES: String(MAX_SOURCE_BYTES),
      INGEST_FETCH_TIMEOUT: '3s',
    },
  });
  site = await stack.createSite();
  const created = await call('createJob', { name: 'hostile' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  jobId = created.body.job_id;
});

after(async () => {
  await stack?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(canaryDir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

const context = () => ({ stack, site, jobId });
const { postFile, postRaw, storedFiles } = hostileCalls(context);

describe('hostile sources', () => {
  const fromUrl = (url: string) => call('upload', { url, job_id: jobId });
  const uploads: Record<string, number> = {};

  test('a source over INGEST_MAX_SOURCE_BYTES is refused, announced or not', async () => {
    assertRefused(
      await fromUrl(`${server.url}/big.wav`),
      413,
      'source_too_large',
    );
    assertRefused(
      await fromUrl(`${server.url}/chunked/big.wav`),
      413,
      'source_too_large',
    );
    assertRefused(
      await postFile('big.wav', await readFile(path.join(dir, 'big.wav'))),
      413,
      'source_too_large',
    );
  });

  test('an endless stream is cut at the byte cap', async () => {
    assertRefused(
      await fromUrl(`${server.url}/endless.wav`),
      413,
      'source_too_large',
    );
  });

  test('a trickling source is cut at INGEST_FETCH_TIMEOUT', async () => {
    assertRefused(
      await fromUrl(`${server.url}/slow.wav`),
      422,
      'fetch_failed',
      /^source could not be fetched: response not complete within 3 s$/,
    );
  });

  test('404, redirect loops, HTML and empty bodies are refused', async () => {
    assertRefused(
      await fromUrl(`${server.url}/missing.wav`),
      422,
      'fetch_failed',
      /HTTP 404/,
    );
    assertRefused(
      await fromUrl(`${server.url}/loop-a.wav`),
      422,
      'fetch_failed',
      /redirect/,
    );
    assertRefused(
      await fromUrl(`${server.url}/page.html`),
      415,
      'not_audio',
      /text\/html/,
    );
    assertRefused(await fromUrl(`${server.url}/empty.wav`), 415, 'not_audio');
    assertRefused(await postFile('empty.wav', ''), 415, 'not_audio');
    assertRefused(
      await postFile('notes.wav', 'just some text\n'.repeat(100)),
      415,
      'not_audio',
    );
  });

  test('an HLS playlist posing as mp3 never makes ffmpeg read elsewhere', async () => {
    const canary = path.join(canaryDir, 'canary.wav');
    const playlist = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXTINF:2,',
      canary,
      '#EXTINF:2,',
      `file://${canary}`,
      '#EXTINF:2,',
      `${server.url}/canary.wav`,
      '#EXT-X-ENDLIST',
      '',
    ].join('\n');
    assertRefused(await postFile('song.mp3', playlist), 415, 'not_audio');

    // The same playlist behind an ID3 header looks like mp3 at upload;
    // it must still never reach the canary.
    const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0]);
    const disguised = await postFile(
      'song2.mp3',
      Buffer.concat([id3, Buffer.from(playlist)]),
    );
    console.log(`# observed ${disguised.status} ${JSON.stringify(disguised.body)}`);
    if (disguised.status === 200) {
      uploads.disguised = disguised.body.upload_id;
    } else {
      assert.ok(disguised.status >= 400 && disguised.status < 500);
      assert.equal(typeof disguised.body.code, 'string');
    }
    assert.equal(server.hits.get('/canary.wav') ?? 0, 0);
  });

  test('a truncated source is taken, to error in the pipeline', async () => {
    const cut = await fromUrl(`${server.url}/cut.wav`);
    assert.equal(cut.status, 200, JSON.stringify(cut.body));
    uploads.cut = cut.body.upload_id;
  });

  test('a source of more than 8 channels is refused at upload', async () => {
    const before = await storedFiles();
    assertRefused(
      await fromUrl(`${server.url}/stems.wav`),
      422,
      'too_many_channels',
      /^source has 16 audio channels; .* at most 8 .*: mix it down/,
    );
    assert.deepEqual(await storedFiles(), before, 'nothing kept');
  });

  test('a sample rate below 8 kHz is refused at upload', async () => {
    const before = await storedFiles();
    assertRefused(
      await fromUrl(`${server.url}/five-hertz.wav`),
      422,
      'unsupported_sample_rate',
      /^source has a sample rate of 5 Hz, below the 8000 Hz/,
    );
    assert.deepEqual(await storedFiles(), before, 'nothing kept');
  });

  test('flac added to an 88201 Hz source is refused once, at transcode', async () => {
    const odd = await fromUrl(`${server.url}/odd-rate.wav`);
    assert.equal(odd.status, 200, JSON.stringify(odd.body));
    uploads.odd = odd.body.upload_id;
    const set = await call('setFormats', {
      upload_id: uploads.odd,
      formats: 'mp3,wav,flac',
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
  });

  test('a source shorter than an mp3 frame is taken, to error', async () => {
    const blip = await fromUrl(`${server.url}/blip.wav`);
    assert.equal(blip.status, 200, JSON.stringify(blip.body));
    uploads.blip = blip.body.upload_id;
  });

  test('file names are text, never paths or options', async () => {
    const names = {
      '-rf.wav': '-rf.wav',
      '../../../etc/evil.wav': 'evil.wav',
      'Ünïcødé 曲 名.wav': 'Ünïcødé 曲 名.wav',
    };
    let n = 0;
    for (const [sent, shown] of Object.entries(names)) {
      n += 1;
      const bytes = await readFile(path.join(dir, `name-${n}.wav`));
      const answer = await postFile(sent, bytes);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.meta.Filename, shown);
      uploads[`name${n}`] = answer.body.upload_id;
    }
    const stored = await storedFiles();
    assert.ok(
      stored.every((f) => !/evil|Ünïcødé|-rf/.test(f)),
      stored.join('\n'),
    );
  });

  test('oncomplete with line breaks or two addresses is refused', async () => {
    for (const oncomplete of BAD_TARGETS) {
      const url = `${server.url}/good.wav`;
      const refused = [
        await call('publish', { job_id: jobId, oncomplete }),
        await call('upload', { url, oncomplete }),
      ];
      for (const answer of refused) {
        assertRefused(answer, 400, 'invalid_address');
      }
    }
    const job = await call('checkJob', { job_id: jobId });
    assert.equal(job.body.state, 'open', 'refused publish left the job open');
  });

  test('oversize bodies answer 413 payload_too_large', async () => {
    const big = 'x'.repeat((1 << 20) + 10);
    const json = await postRaw(
      'setMetadata',
      'application/json',
      JSON.stringify({ upload_id: 1, meta: { Lyrics: big } }),
    );
    assertRefused(json, 413, 'payload_too_large');
    // The rest of the body is not read (RFC 9110 §15.5.14): the
    // connection ends with the answer.
    assert.equal(json.connection, 'close');
    const form = await postRaw('setMetadata', 'application/x-www-form-urlencoded',
      `upload_id=1&meta[Lyrics]=${big}`);
    assertRefused(form, 413, 'payload_too_large');
    assert.equal(form.connection, 'close');
    // A multipart field over its cap is refused, not cut short.
    const multipart = new FormData();
    multipart.set('upload_id', String(uploads.cut));
    multipart.set('meta[Lyrics]', big);
    const res = await fetch(
      `${stack.gatewayUrl}/api/import/setMetadata?token=${site.token}`,
      { method: 'POST', body: multipart },
    );
    assertRefused(
      { status: res.status, body: await res.json() },
      413,
      'payload_too_large',
    );

    // Parts past busboy's limits are refused, not silently dropped.
    const two = new FormData();
    two.set('job_id', String(jobId));
    two.append('file', new Blob(['a']), 'a.wav');
    two.append('file', new Blob(['b']), 'b.wav');
    const twoFiles = await fetch(
      `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
      { method: 'POST', body: two },
    );
    assertRefused(
      { status: twoFiles.status, body: await twoFiles.json() },
      400,
      'invalid_parameter',
    );
  });

  test('a meta value too long for an ffmpeg argument is refused', async () => {
    // Linux caps one argument at 128 KiB; each meta value becomes one.
    assertRefused(
      await call('setMetadata', {
        upload_id: uploads.cut,
        meta: { Lyrics: 'la '.repeat(50_000) },
      }),
      400,
      'invalid_parameter',
      /meta\[Lyrics\] is longer than 65536 bytes/,
    );
  });

  test('meta with thousands of keys is refused whole', async () => {
    const meta: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) meta[`Custom: K${i}`] = 'v';
    assertRefused(
      await call('setMetadata', { upload_id: uploads.cut, meta }),
      400,
      'invalid_parameter',
      /more than 200 fields/,
    );
    const form = Object.keys(meta)
      .map((k) => `meta[${encodeURIComponent(k)}]=v`)
      .join('&');
    assertRefused(
      await postRaw(
        'setMetadata',
        'application/x-www-form-urlencoded',
        `upload_id=${uploads.cut}&${form}`,
      ),
      400,
      'invalid_parameter',
    );
  });

  test('ids that are not positive integers are refused', async () => {
    for (const [endpoint, name] of ID_PARAMS) {
      for (const bad of NOT_IDS) {
        const answer = await call(endpoint, {
          [name]: bad,
          url: `${server.url}/good.wav`,
          formats: 'mp3',
        });
        assertRefused(answer, 400, 'invalid_parameter');
        assert.match(answer.body.error, new RegExp(name), `${endpoint} ${name}`);
      }
    }
    for (const endpoint of ['getById', 'download', 'delete']) {
      const answer = await stack.call(`/api/tracks/${endpoint}`, site.token, {
        track_id: '1e3',
      });
      assertRefused(answer, 400, 'invalid_parameter');
    }
  });

  test('after all that, a good upload in the same job publishes', async () => {
    // Long lyrics just under the cap go through ffmpeg intact.
    const good = await call('upload', {
      url: `${server.url}/good.wav`,
      job_id: jobId,
      meta: { Lyrics: 'la '.repeat(20_000) },
    });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    uploads.good = good.body.upload_id;

    const published = await call('publish', { job_id: jobId });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const done = await stack.waitForJob(site.token, jobId);
    const list = await call('list', { job_id: jobId });
    const byId = new Map<number, any>(
      list.body.tracks.map((t: any) => [t.upload_id, t]),
    );

    for (const key of ['good', 'name1', 'name2', 'name3']) {
      const row = byId.get(uploads[key]);
      assert.equal(row?.status, 'published', `${key}: ${JSON.stringify(row)}`);
    }
    const cut = byId.get(uploads.cut);
    assert.equal(cut.status, 'error', JSON.stringify(cut));
    assert.equal(cut.error_code, 'truncated', JSON.stringify(cut));
    const odd = byId.get(uploads.odd);
    console.log(`# observed odd rate: ${JSON.stringify(odd)}`);
    assert.equal(odd.status, 'error', JSON.stringify(odd));
    assert.equal(odd.error_code, 'unsupported_sample_rate');
    // Not retried: a retried failure says so and errors `internal`.
    assert.match(odd.error, /^flac cannot hold a sample rate of 88201 Hz/);
    const blip = byId.get(uploads.blip);
    console.log(`# observed blip: ${JSON.stringify(blip)}`);
    assert.equal(blip.status, 'error', JSON.stringify(blip));
    assert.equal(blip.error_code, 'too_short', JSON.stringify(blip));
    if (uploads.disguised) {
      const row = byId.get(uploads.disguised);
      console.log(`# observed disguised playlist: ${JSON.stringify(row)}`);
      assert.equal(row.status, 'error', JSON.stringify(row));
      assert.ok(row.error, 'the errored upload gives a reason');
    }
    assert.equal(done.d, 4);
    assert.equal(server.hits.get('/canary.wav') ?? 0, 0);

    const health = await fetch(`${stack.gatewayUrl}/healthz`);
    assert.equal(health.status, 200);
  });
});
