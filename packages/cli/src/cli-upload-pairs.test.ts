import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makeTone } from '@ingest/testkit';
import { acceptingGateway, type AcceptingGateway } from './testing/accepting-gateway';
import { jsonOf, runIngest } from './testing/run-ingest';

describe('ingest upload of files of one name in several folders', () => {
  let server: AcceptingGateway;
  /** Uploads the gateway took before the test. */
  let earlier = 0;
  const sent = () => server.uploads() - earlier;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    server = await acceptingGateway();
    env = { INGEST_URL: server.url, INGEST_TOKEN: 't' };
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-pairs-'));
    // Two CDs whose tracks are numbered alike: different recordings.
    await mkdir(path.join(dir, 'box/cd1'), { recursive: true });
    await mkdir(path.join(dir, 'box/cd2'), { recursive: true });
    await makeTone(path.join(dir, 'box/cd1/01.wav'), { seconds: 3 });
    await makeTone(path.join(dir, 'box/cd2/01.flac'), { seconds: 6 });
    await makeTone(path.join(dir, 'box/cd2/02.flac'), { seconds: 2 });
    // One recording in two formats, a folder each.
    await mkdir(path.join(dir, 'formats/wav'), { recursive: true });
    await mkdir(path.join(dir, 'formats/mp3'), { recursive: true });
    await makeTone(path.join(dir, 'formats/wav/song.wav'), { seconds: 4 });
    await makeTone(path.join(dir, 'formats/mp3/song.mp3'), {
      seconds: 4,
      codec: 'libmp3lame',
    });
    // Not audio at all, one name in two folders: lengths unknown.
    await mkdir(path.join(dir, 'odd/a'), { recursive: true });
    await mkdir(path.join(dir, 'odd/b'), { recursive: true });
    await writeFile(path.join(dir, 'odd/a/x.wav'), 'not audio');
    await writeFile(path.join(dir, 'odd/b/x.flac'), 'not audio');
    await writeFile(path.join(dir, 'odd/a/y.wav'), 'not audio');
    await writeFile(path.join(dir, 'odd/a/y.mp3'), 'not audio');
  });

  beforeEach(() => {
    earlier = server.uploads();
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses same-name files of clearly other lengths, sending nothing', async () => {
    const result = await runIngest(['upload', path.join(dir, 'box')], env);

    assert.equal(result.code, 1, result.stderr);
    assert.equal(sent(), 0);
    assert.match(result.stderr, /cd1\/01\.wav \(3\.0 s\), .*cd2\/01\.flac \(6\.0 s\)/);
    assert.match(result.stderr, /verification_failed/);
    assert.match(result.stderr, /--pair-anyway/);
    assert.doesNotMatch(result.stderr, /02\.flac/);
  });

  it('names the groups under --json', async () => {
    const result = await runIngest(['upload', path.join(dir, 'box'), '--json'], env);

    assert.equal(result.code, 1, result.stderr);
    const body = jsonOf(result);
    assert.equal(body.code, 'mismatched_sources');
    assert.equal(body.groups.length, 1);
    assert.equal(body.groups[0].problem, 'lengths_differ');
    assert.deepEqual(
      body.groups[0].files.map((f: { duration_s: number }) => Math.round(f.duration_s)),
      [3, 6],
    );
  });

  it('sends them as they are with --pair-anyway', async () => {
    const result = await runIngest(
      ['upload', path.join(dir, 'box'), '--pair-anyway'],
      env,
    );

    assert.equal(result.code, 0, result.stderr);
    assert.equal(sent(), 3);
  });

  it('sends one recording kept in a folder per format', async () => {
    const result = await runIngest(['upload', path.join(dir, 'formats')], env);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(sent(), 2);
  });

  it('refuses files of unknown length in different folders only', async () => {
    const across = await runIngest(['upload', path.join(dir, 'odd'), '--json'], env);

    assert.equal(across.code, 1, across.stderr);
    assert.equal(sent(), 0);
    const { groups } = jsonOf(across);
    assert.equal(groups.length, 1);
    assert.equal(groups[0].problem, 'lengths_unknown');
    assert.match(groups[0].files[0].source, /odd\/a\/x\.wav$/);

    // y.wav and y.mp3 share a folder: the documented pairing.
    const together = await runIngest(['upload', path.join(dir, 'odd/a')], env);
    assert.equal(together.code, 0, together.stderr);
    assert.equal(sent(), 3);
  });
});
