import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { IngestClient } from '@ingest/client';
import {
  makeTone,
  serveFiles,
  TestStack,
  type LoopbackServer,
} from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'packages/cli/bin/ingest.js');
const run = promisify(execFile);

async function hasTmux(): Promise<boolean> {
  return run('tmux', ['-V']).then(
    () => true,
    () => false,
  );
}

describe('ingest CLI against the real stack', { timeout: 300_000 }, () => {
  let stack: TestStack;
  let files: LoopbackServer;
  let dir: string;
  let env: Record<string, string>;
  let client: IngestClient;
  let jobId: number;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-cli-'));
    const album = path.join(dir, 'album');
    await mkdir(path.join(album, 'disc2'), { recursive: true });
    await mkdir(path.join(dir, 'remote'));
    await makeTone(path.join(album, 'one.wav'), { seconds: 2, codec: 'pcm_s16le' });
    await makeTone(path.join(album, 'disc2', 'two.flac'), { seconds: 2 });
    await makeTone(path.join(album, '.hidden.wav'), { seconds: 1 });
    await writeFile(path.join(album, 'notes.txt'), 'not audio');
    await makeTone(path.join(dir, 'remote', 'three.mp3'), {
      seconds: 2,
      codec: 'libmp3lame',
    });
    await writeFile(
      path.join(dir, 'meta.csv'),
      '\ufeffFilename,Title,Artist,Custom: External ID\r\n' +
        'one.wav,"One, with a comma",Ann,EXT-1\r\n' +
        'two,Two,"Bo ""B"" Bee",\r\n' +
        'THREE.MP3,Three,Cy,EXT-3\r\n' +
        'ghost.wav,Ghost,Nobody,\r\n',
    );

    stack = await TestStack.start();
    files = await serveFiles(path.join(dir, 'remote'));
    const site = await stack.createSite();
    env = { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token };
    client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
  });

  after(async () => {
    await files?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a job', async () => {
    const result = await runIngest(['create-job', '--name', 'cli', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    jobId = jsonOf(result).job_id;
    assert.ok(Number.isInteger(jobId));
  });

  it('uploads a folder and a URL with CSV metadata', async () => {
    const result = await runIngest(
      [
        'upload',
        path.join(dir, 'album'),
        `${files.url}/three.mp3`,
        '--job', String(jobId),
        '--formats', 'mp3,wav',
        '--meta', 'Genre=Ambient',
        '--meta', 'Artist=Flag Artist',
        '--meta-csv', path.join(dir, 'meta.csv'),
        '--json',
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const body = jsonOf(result);
    const bySource = new Map<string, any>(
      body.uploads.map((u: any) => [path.basename(u.source), u]),
    );
    assert.deepEqual([...bySource.keys()], ['two.flac', 'one.wav', 'three.mp3']);
    const one = bySource.get('one.wav');
    assert.equal(one.meta.Title, 'One, with a comma');
    assert.equal(one.meta.Artist, 'Ann');
    assert.equal(one.meta['Custom: External ID'], 'EXT-1');
    assert.equal(one.meta.Genre, 'Ambient');
    assert.deepEqual(one.formats, ['mp3', 'wav']);
    assert.equal(bySource.get('two.flac').meta.Artist, 'Bo "B" Bee');
    assert.equal(bySource.get('three.mp3').meta.Title, 'Three');
    assert.deepEqual(body.unmatched_csv_rows, ['ghost.wav']);
    assert.match(result.stderr, /CSV row matched no source: ghost\.wav/);
  });

  it('refuses unknown fields before uploading anything', async () => {
    const before = await client.list(jobId);
    const result = await runIngest(
      ['upload', path.join(dir, 'album'), '--job', String(jobId), '--meta', 'Moood=x'],
      env,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown metadata fields: Moood/);
    assert.equal((await client.list(jobId)).tracks.length, before.tracks.length);
  });

  it('publishes and waits, printing plain lines through a pipe', async () => {
    const result = await runIngest(
      ['publish', '--job', String(jobId), '--wait', '--interval', '100'],
      env,
    );
    assert.equal(result.code, 0, result.stderr + stack.logs);
    assert.doesNotMatch(result.stdout, /\x1b\[/, 'no terminal codes in a pipe');
    assert.match(result.stdout, /published job \d+: 3 queued/);
    assert.match(
      result.stdout,
      new RegExp(`job ${jobId} complete: q=0 i=0 d=3 e=0\\n`),
    );

    const status = await runIngest(['status', '--job', String(jobId), '--json'], env);
    assert.equal(status.code, 0);
    assert.deepEqual(
      (({ state, q, i, d, e }) => ({ state, q, i, d, e }))(jsonOf(status)),
      { state: 'complete', q: 0, i: 0, d: 3, e: 0 },
    );
  });

  it('lists and downloads every rendition, CSV metadata applied', async () => {
    const list = jsonOf(await runIngest(['list', '--job', String(jobId), '--json'], env));
    assert.equal(list.tracks.length, 3);
    assert.ok(list.tracks.every((t: any) => t.track_id && t.status === 'published'));

    const out = path.join(dir, 'downloads');
    const result = await runIngest(
      ['download', '--job', String(jobId), '--out', out, '--json'],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const body = jsonOf(result);
    const names = body.files.map((f: any) => path.basename(f.file)).sort();
    assert.deepEqual(names, [
      'one.mp3', 'one.wav', 'three.mp3', 'three.wav', 'two.mp3', 'two.wav',
    ]);
    for (const file of body.files) {
      const bytes = await readFile(file.file);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256);
    }

    const one = list.tracks.find((t: any) =>
      body.files.some((f: any) => f.track_id === t.track_id && f.file.endsWith('one.wav')),
    );
    const { track } = await client.getTrack(one.track_id);
    assert.equal(track.meta.Title, 'One, with a comma');
    assert.equal(track.meta['Custom: External ID'], 'EXT-1');
    assert.equal(track.meta.Genre, 'Ambient');

    const onlyMp3 = path.join(dir, 'mp3-only');
    const filtered = await runIngest(
      ['download', '--job', String(jobId), '--out', onlyMp3, '--formats', 'mp3'],
      env,
    );
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.match(filtered.stdout, /3 file\(s\) saved/);
  });

  it('exits 1 for usage errors', async () => {
    const none = await runIngest([], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Usage: ingest <command>/);

    const bad = await runIngest(['list', '--nope'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unknown option '--nope'/);

    const noConfig = await runIngest(['status', '--json'], {
      INGEST_URL: '',
      INGEST_TOKEN: '',
    });
    assert.equal(noConfig.code, 1);
    assert.equal(jsonOf(noConfig).code, 'usage');

    const missing = await runIngest(['upload', path.join(dir, 'nope.wav')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file or folder/);

    const help = await runIngest(['publish', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--wait/);
  });

  it('exits 2 with the API code for API errors', async () => {
    const denied = await runIngest(['status', '--json', '--token', 'wrong'], env);
    assert.equal(denied.code, 2);
    assert.deepEqual(jsonOf(denied), {
      error: 'unknown token',
      code: 'unauthorized',
      status: 401,
    });

    const closed = await runIngest(
      ['upload', path.join(dir, 'album', 'one.wav'), '--job', String(jobId), '--json'],
      env,
    );
    assert.equal(closed.code, 2);
    assert.equal(jsonOf(closed).uploads[0].code, 'job_closed');
  });

  it('exits 3 when the job completes with errored uploads, named', async () => {
    // A WAV whose header promises 10 s but holds 2: truncated (SPEC §3).
    const cut = path.join(dir, 'cut.wav');
    await makeTone(cut, { seconds: 10, codec: 'pcm_s16le' });
    await truncate(cut, 44 + 44_100 * 4 * 2);
    const remote = path.join(dir, 'remote', 'far-cut.wav');
    // Another tone: the same bytes twice in one run are refused.
    await makeTone(remote, { seconds: 10, codec: 'pcm_s16le', frequency: 880 });
    await truncate(remote, 44 + 44_100 * 4 * 2);
    const { job_id } = await client.createJob({ name: 'errors' });
    const upload = await runIngest(
      ['upload', cut, `${files.url}/far-cut.wav`, '--job', String(job_id)],
      env,
    );
    assert.equal(upload.code, 0, upload.stderr);

    const result = await runIngest(
      ['publish', '--job', String(job_id), '--wait', '--interval', '100', '--json'],
      env,
    );
    assert.equal(result.code, 3, result.stderr + stack.logs);
    const body = jsonOf(result);
    assert.equal(body.progress.e, 2);
    // Each by the file it was made from, not by its id alone.
    assert.deepEqual(
      body.errored.map((u: any) => [u.file_name, u.error_code]).sort(),
      [['cut.wav', 'truncated'], ['far-cut.wav', 'truncated']],
    );
    for (const u of body.errored) {
      const line = `${u.file_name} (upload ${u.upload_id}) errored: ${u.error} [truncated]`;
      assert.ok(result.stderr.includes(line), `${line}\nin:\n${result.stderr}`);
    }

    // list names them too: its ERROR column gave the reason alone.
    const listed = await runIngest(['list', '--job', String(job_id)], env);
    assert.equal(listed.code, 0, listed.stderr);
    for (const u of body.errored) {
      const row = listed.stdout.split('\n').find((l) => l.startsWith(`${u.upload_id} `));
      assert.ok(row?.endsWith(` ${u.file_name}: ${u.error}`), `${u.file_name}:\n${listed.stdout}`);
    }
  });

  it('exits 4 when --timeout passes', async () => {
    const { job_id } = await client.createJob({ name: 'slow' });
    await client.upload({ file: path.join(dir, 'album', 'one.wav') }, { jobId: job_id });
    const result = await runIngest(
      ['publish', '--job', String(job_id), '--wait', '--timeout', '0.001', '--json'],
      env,
    );
    assert.equal(result.code, 4, result.stderr);
    const body = jsonOf(result);
    assert.equal(body.code, 'timeout');
    assert.equal(body.job_id, job_id);
    // --timeout bounds the publish call too: 1 ms may end the command
    // before the job is published. Published again (harmless if it was),
    // the job completes before the next test.
    await client.publish({ jobId: job_id }).catch(() => undefined);
    await client.waitForJob(job_id, { intervalMs: 100, timeoutMs: 60_000 });
  });

  it('draws a live progress bar in a terminal', async (t) => {
    if (!(await hasTmux())) {
      t.skip('tmux is not installed (apt-get install -y tmux)');
      return;
    }
    const { job_id } = await client.createJob({ name: 'tty' });
    for (const n of [1, 2, 3]) {
      const file = path.join(dir, `long-${n}.wav`);
      await makeTone(file, {
        seconds: 30,
        codec: 'pcm_s16le',
        tags: { title: `long ${n}` },
      });
      await client.upload({ file }, { jobId: job_id, formats: ['mp3', 'wav', 'flac'] });
    }

    // A private tmux server (own socket), a fixed-size window.
    const socket = `ingest-cli-test-${process.pid}`;
    const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
    const command =
      `${shellQuote(process.execPath)} ${shellQuote(BIN)} publish ` +
      `--job ${job_id} --wait --interval 150; echo "EXIT=$?"; sleep 60`;
    await tmux(
      'new-session', '-d', '-s', 'cli', '-x', '120', '-y', '20',
      '-e', `INGEST_URL=${env.INGEST_URL}`,
      '-e', `INGEST_TOKEN=${env.INGEST_TOKEN}`,
      command,
    );
    try {
      const screens: string[] = [];
      const deadline = Date.now() + 120_000;
      let screen = '';
      while (!/EXIT=\d+/.test(screen) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        screen = (await tmux('capture-pane', '-p', '-t', 'cli')).stdout;
        screens.push(screen);
      }
      assert.match(screen, /EXIT=0/, screen);

      const bar = /job \d+ \[[█░]{30}\] (\d+)\/3 \| q (\d) {2}i (\d) {2}d (\d) {2}e (\d)/;
      const barLines = screen.split('\n').filter((line) => bar.test(line));
      assert.equal(barLines.length, 1, `one bar, redrawn in place:\n${screen}`);
      assert.match(barLines[0], /3\/3 \| q 0 {2}i 0 {2}d 3 {2}e 0 \| complete/);
      const partial = screens.some((s) => /\] [0-2]\/3 \|/.test(s));
      assert.ok(partial, 'a bar was seen before the job completed');
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
  });
});

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
