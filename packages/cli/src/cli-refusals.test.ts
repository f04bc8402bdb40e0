import assert from 'node:assert/strict';
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IngestClient } from '@ingest/client';
import { makeTone, tcpRelay, type TestStack } from '@ingest/testkit';
import { startCliStack } from './testing/cli-stack';
import { jsonOf, runIngest } from './testing/run-ingest';

/** What `ingest` refuses, or reports as not done, against the real stack. */
describe('ingest says what it did not do', { timeout: 300_000 }, () => {
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let client: IngestClient;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-cli-refusals-'));
    await mkdir(path.join(dir, 'album'));
    await makeTone(path.join(dir, 'album', 'café.wav'), { seconds: 1, codec: 'pcm_s16le' });
    await mkdir(path.join(dir, 'mixed', 'art'), { recursive: true });
    await makeTone(path.join(dir, 'mixed', 'one.wav'), {
      seconds: 1,
      frequency: 660,
      codec: 'pcm_s16le',
    });
    // Audio the gateway takes (a Broadcast WAV), under an extension the
    // walk does not take.
    await makeTone(path.join(dir, 'two.wav'), { seconds: 1, codec: 'pcm_s16le' });
    await rename(path.join(dir, 'two.wav'), path.join(dir, 'mixed', 'two.bwf'));
    await writeFile(path.join(dir, 'mixed', 'notes.txt'), 'liner notes');
    await writeFile(path.join(dir, 'mixed', 'art', 'credits.txt'), 'credits');
    await writeFile(path.join(dir, 'mixed', 'art', 'cover.jpg'), 'not a picture');
    await writeFile(path.join(dir, 'mixed', 'README'), 'no extension');
    await writeFile(path.join(dir, 'mixed', '.hidden.txt'), 'hidden: not counted');
    ({ stack, env, client } = await startCliStack());
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a Latin-1 CSV before uploading, exit 1', async () => {
    const csv = path.join(dir, 'latin1.csv');
    await writeFile(csv, Buffer.from('Filename,Title\ncafé.wav,Déjà vu\n', 'latin1'));
    const { job_id } = await client.createJob({ name: 'latin-1' });
    const result = await runIngest(
      ['upload', path.join(dir, 'album'), '--job', String(job_id), '--meta-csv', csv, '--json'],
      env,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.equal(jsonOf(result).code, 'usage');
    assert.match(
      result.stderr,
      /latin1\.csv: line 2, character 4: not UTF-8 \(byte 0xE9\)/,
    );
    assert.equal((await client.list(job_id)).tracks.length, 0);
  });

  it('reads a UTF-16 CSV with a BOM', async () => {
    const csv = path.join(dir, 'utf16.csv');
    const text = '\ufeffFilename,Title\r\ncafé.wav,Déjà vu\r\n';
    await writeFile(csv, Buffer.from(text, 'utf16le'));
    const { job_id } = await client.createJob({ name: 'utf-16' });
    const result = await runIngest(
      ['upload', path.join(dir, 'album'), '--job', String(job_id), '--meta-csv', csv, '--json'],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(jsonOf(result).uploads[0].meta.Title, 'Déjà vu');
  });

  it('says in one line which files of a folder were not sent', async () => {
    const { job_id } = await client.createJob({ name: 'mixed folder' });
    const result = await runIngest(
      ['upload', path.join(dir, 'mixed'), '--job', String(job_id), '--json'],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const body = jsonOf(result);
    assert.deepEqual(
      body.uploads.map((u: any) => path.basename(u.source)),
      ['one.wav'],
    );
    assert.deepEqual(body.not_audio_files, {
      count: 5,
      extensions: { '.txt': 2, '.jpg': 1, '': 1, '.bwf': 1 },
    });
    // One name for them, on stderr as in JSON; `not_sent` counts sources
    // a stopped run did not get to, none here.
    assert.equal(body.not_sent, 0);
    assert.equal(body.skipped, undefined);
    assert.doesNotMatch(result.stderr, /skipped/);
    const lines = result.stderr.split('\n').filter((l) => /not audio/.test(l));
    assert.equal(lines.length, 1, result.stderr);
    const mixed = path.join(dir, 'mixed');
    assert.equal(
      lines[0],
      'ingest: not audio by extension: 5 file(s) in folders left out ' +
        `(2 .txt, 1 without extension, 1 .bwf, 1 .jpg; e.g. ${mixed}/art/cover.jpg); ` +
        'name a file on the command line to send it anyway',
    );

    // Named, it is sent.
    const named = await runIngest(
      ['upload', path.join(dir, 'mixed', 'two.bwf'), '--job', String(job_id)],
      env,
    );
    assert.equal(named.code, 0, named.stderr);
    assert.doesNotMatch(named.stderr, /not audio/);
  });

  it('tells what it skipped when a folder holds no audio it takes', async () => {
    const result = await runIngest(['upload', path.join(dir, 'mixed', 'art')], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not audio by extension: 2 file\(s\) .*\(1 \.jpg, 1 \.txt; /);
    assert.match(result.stderr, /no audio files found in the given folders/);
  });

  it('download: reports missing renditions, exits 1 when nothing is saved', async () => {
    const { job_id } = await client.createJob({ name: 'download' });
    const one = path.join(dir, 'mixed', 'one.wav');
    const two = path.join(dir, 'album', 'café.wav');
    await client.upload({ file: one }, { jobId: job_id, formats: ['mp3', 'flac'] });
    await client.upload({ file: two }, { jobId: job_id, formats: ['mp3'] });
    const open = await runIngest(
      ['download', '--job', String(job_id), '--out', path.join(dir, 'open'), '--json'],
      env,
    );
    assert.equal(open.code, 1, open.stderr);
    assert.equal(jsonOf(open).code, 'nothing_saved');
    assert.match(open.stderr, /nothing saved: job \d+ has no published track \(it is open\)/);
    // No folder made for nothing.
    await assert.rejects(access(path.join(dir, 'open')), { code: 'ENOENT' });
    // People are not told of a folder that is gone.
    const human = await runIngest(
      ['download', '--job', String(job_id), '--out', path.join(dir, 'open')],
      env,
    );
    assert.equal(human.code, 1, human.stderr);
    assert.equal(human.stdout, 'nothing saved\n');
    assert.match(human.stderr, /^ingest: nothing saved: job \d+ has no published track/m);

    await client.publish({ jobId: job_id });
    await client.waitForJob(job_id, { intervalMs: 100, timeoutMs: 120_000 });
    const { tracks } = await client.list(job_id);
    const mp3Only = tracks.find((t) => !t.formats.includes('flac'))!.track_id;

    const partial = await runIngest(
      ['download', '--job', String(job_id), '--out', path.join(dir, 'flac'),
        '--formats', 'flac', '--json'],
      env,
    );
    assert.equal(partial.code, 0, partial.stderr);
    const body = jsonOf(partial);
    assert.equal(body.files.length, 1);
    assert.deepEqual(body.missing, [{ track_id: mp3Only, format: 'flac' }]);
    assert.match(partial.stderr, new RegExp(
      `^ingest: not saved: 1 track\\(s\\) have no flac \\(track ${mp3Only}\\)$`, 'm',
    ));

    // Every folder of --out it made goes; one that was there stays.
    await mkdir(path.join(dir, 'kept'));
    const nested = path.join(dir, 'kept', 'aiff', 'deeper');
    const none = await runIngest(
      ['download', '--job', String(job_id), '--out', nested,
        '--formats', 'aiff,wav', '--json'],
      env,
    );
    assert.deepEqual(await readdir(path.join(dir, 'kept')), []);
    assert.equal(none.code, 1, none.stderr);
    const nothing = jsonOf(none);
    assert.equal(nothing.code, 'nothing_saved');
    assert.deepEqual(nothing.files, []);
    assert.equal(nothing.missing.length, 4);
    assert.match(
      none.stderr,
      /nothing saved: none of the 2 published track\(s\) of job \d+ has a rendition in aiff, wav/,
    );
  });

  it('publish --timeout bounds the publish call too, exit 4', async () => {
    const { job_id } = await client.createJob({ name: 'publish hangs' });
    await client.upload({ file: path.join(dir, 'album', 'café.wav') }, { jobId: job_id });
    // A gateway that takes the connection and never answers.
    const relay = await tcpRelay(Number(new URL(stack.gatewayUrl).port));
    relay.mode = 'hang';
    try {
      const result = await runIngest(
        ['publish', '--job', String(job_id), '--wait', '--timeout', '2', '--json'],
        { ...env, INGEST_URL: `http://127.0.0.1:${relay.port}` },
        // Unbounded, the SDK tries for minutes (30 s per attempt, retried).
        { killAfterMs: 60_000 },
      );
      assert.equal(result.code, 4, result.stderr);
      assert.deepEqual(jsonOf(result), {
        job_id,
        error:
          'publish did not answer within --timeout 2 s; the job may be ' +
          'published all the same (see ingest status)',
        code: 'timeout',
      });
      assert.ok(relay.accepted > 0, 'the call reached the relay');
    } finally {
      await relay.close();
    }
    assert.equal((await client.checkJob(job_id)).state, 'open');
  });

  it('says when a file became a source of another upload of the run', async () => {
    const pair = path.join(dir, 'pair');
    await mkdir(pair);
    await makeTone(path.join(pair, 'song.wav'), { seconds: 1, codec: 'pcm_s16le' });
    await makeTone(path.join(pair, 'song.mp3'), { seconds: 1, codec: 'libmp3lame' });
    const { job_id } = await client.createJob({ name: 'pair' });
    const result = await runIngest(['upload', pair, '--job', String(job_id)], env);

    assert.equal(result.code, 0, result.stderr);
    const [, id] = /song\.mp3 -> upload (\d+)/.exec(result.stdout) ?? [];
    assert.ok(id, result.stdout);
    assert.match(result.stdout, new RegExp(`song\\.wav -> upload ${id} \\[`));
    // The folder is walked in name order: the mp3 first.
    assert.match(result.stdout, /song\.wav -> upload \d+ \[.*\] \(a source of .*song\.mp3's/);
    assert.match(result.stdout, /2 uploaded, 0 failed \(1 as a source of another's upload\)/);
    assert.equal((await client.list(job_id)).tracks.length, 1);
  });

  // Run again on a folder, as after a Ctrl-C: what the first run sent is
  // in the job already, and is no failure.
  it('upload again: files a run before sent are already in the job, exit 0', async () => {
    const again = path.join(dir, 'again');
    await mkdir(again);
    await makeTone(path.join(again, '01-a.wav'), { seconds: 1, frequency: 550 });
    await makeTone(path.join(again, '02-b.wav'), { seconds: 1, frequency: 770 });
    const { job_id } = await client.createJob({ name: 'again' });
    const job = ['--job', String(job_id)];
    const first = await runIngest(['upload', path.join(again, '01-a.wav'), ...job], env);
    assert.equal(first.code, 0, first.stderr);
    const [, id] = /-> upload (\d+)/.exec(first.stdout) ?? [];

    const result = await runIngest(['upload', again, ...job, '--meta', 'Artist=X'], env);

    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `01-a\\.wav: already in the job as upload ${id} \\(the same bytes\\); ` +
          'not sent again, its metadata not changed',
      ),
    );
    assert.match(result.stdout, /02-b\.wav -> upload \d+/);
    assert.match(result.stdout, /^1 uploaded, 1 already in the job, 0 failed$/m);
    assert.equal((await client.list(job_id)).tracks.length, 2);

    const json = await runIngest(['upload', again, ...job, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const { uploads } = jsonOf(json) as { uploads: Array<Record<string, unknown>> };
    assert.equal(uploads.length, 2);
    for (const entry of uploads) {
      assert.equal(entry.already_in_job, true, JSON.stringify(entry));
      assert.equal(typeof entry.upload_id, 'number');
    }
  });

  it('upload: the same bytes twice in one run stay a failure', async () => {
    const twins = path.join(dir, 'twins');
    await mkdir(twins);
    await makeTone(path.join(twins, 'one.wav'), { seconds: 1, frequency: 990 });
    await copyFile(path.join(twins, 'one.wav'), path.join(twins, 'two.wav'));
    const { job_id } = await client.createJob({ name: 'twins' });

    const result = await runIngest(['upload', twins, '--job', String(job_id)], env);

    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /two\.wav: the job already holds these bytes/);
    assert.match(result.stdout, /^1 uploaded, 1 failed$/m);
  });
});
