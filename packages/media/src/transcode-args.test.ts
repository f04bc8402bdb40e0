import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildTranscodeArgs } from './transcode-args';

const policy = {
  sampleRate: 96_000,
  channels: 2,
  sampleKind: 'float' as const,
  bitDepth: 32,
};

const built = buildTranscodeArgs({
  inputs: [
    { path: '/in/a:b -x.wav', policy },
    { path: '/in/src.mp3', policy: { ...policy, sampleKind: 'lossy' } },
  ],
  renditions: [
    { format: 'mp3', path: '/out/1.mp3', input: 1, copy: true },
    { format: 'flac', path: '/out/1.flac', input: 0, copy: false },
    { format: 'aiff', path: '/out/1.aiff', input: 0, copy: false },
  ],
  metadata: { Title: 'x=y; rm -rf /', 'Custom: Q': 'q' },
  cover: { kind: 'file', path: '/in/c.png', demuxer: 'png_pipe' },
});
const { args } = built;

test('every input is guarded and given as a file: URL', () => {
  const inputs = args.flatMap((a, i) => (a === '-i' ? [i] : []));
  assert.equal(inputs.length, 3);
  for (const i of inputs) {
    assert.match(args[i + 1], /^file:\//);
    const guard = args.slice(i - 4, i);
    assert.equal(guard[0], '-format_whitelist');
    assert.equal(guard[2], '-protocol_whitelist');
    assert.equal(guard[3], 'file');
    assert.equal(guard[1].includes('hls'), false);
  }
  assert.ok(args.includes('file:/in/a:b -x.wav'));
});

test('audio is mapped explicitly, the cover only into the mp3', () => {
  const maps = args.flatMap((a, i) => (a === '-map' ? [args[i + 1]] : []));
  // mp3: audio of input 1 + cover; flac, aiff: audio of input 0;
  // then one counting output per source input.
  assert.deepEqual(maps, ['1:a:0', '2:v:0', '0:a:0', '0:a:0', '0:a:0', '1:a:0']);
  assert.ok(args.includes('pipe:3') && args.includes('pipe:4'));
  assert.equal(built.countedPipes, 2);
});

test('policy settings and tags land as single argv elements', () => {
  assert.deepEqual(
    built.settings.map((s) => [s.format, s.codec, s.bitDepth]),
    [
      ['mp3', 'copy', null],
      ['flac', 'flac', 24],
      ['aiff', 'pcm_s24be', 24],
    ],
  );
  assert.ok(args.includes('TIT2=x=y; rm -rf /'));
  assert.ok(args.includes('Custom: Q=q'));
  assert.ok(args.includes('TITLE=x=y; rm -rf /'));
  const flacAt = args.indexOf('file:/out/1.flac');
  assert.equal(args[flacAt - 1], 'flac');
  assert.ok(args.slice(0, flacAt).includes('s32'));
});

test('INGEST_MAX_DURATION: inputs read a second past it, outputs held by -fs', () => {
  const cd = { sampleRate: 44_100, channels: 2, sampleKind: 'int' as const, bitDepth: 16 };
  const plan = (endS: number | null, maxDurationS?: number) =>
    buildTranscodeArgs({
      inputs: [{ path: '/in/long.flac', policy: cd, endS }],
      renditions: [
        { format: 'wav', path: '/out/long.wav', input: 0, copy: false },
        { format: 'mp3', path: '/out/long.mp3', input: 0, copy: false },
      ],
      metadata: {},
      cover: { kind: 'none' },
      maxDurationS,
    });
  const valueOf = (argv: string[], flag: string) =>
    argv.flatMap((a, i) => (a === flag ? [Number(argv[i + 1])] : []));
  const fourHours = 4 * 3600;
  const threeHours = 3 * 3600;

  // A hidden length is read to the cap and a second more.
  assert.deepEqual(valueOf(plan(null, fourHours).args, '-t'), [fourHours + 1]);
  // A declared 3 h is read whole, as without the cap.
  const legit = plan(threeHours, fourHours);
  assert.deepEqual(valueOf(legit.args, '-t'), [threeHours]);
  const [wavCap, mp3Cap] = valueOf(legit.args, '-fs');
  assert.deepEqual([wavCap, mp3Cap], legit.byteCaps);
  assert.ok(wavCap > threeHours * 44_100 * 2 * 2 + 44, `wav ${wavCap}`);
  assert.ok(wavCap > fourHours * 44_100 * 2 * 2, `wav ${wavCap}`);
  assert.ok(mp3Cap > fourHours * 40_000, `mp3 ${mp3Cap}`);
  // -fs is the output's: before its muxer and name.
  const wavAt = legit.args.indexOf('file:/out/long.wav');
  assert.deepEqual(legit.args.slice(wavAt - 4, wavAt), ['-fs', String(wavCap), '-f', 'wav']);

  // No cap: the argv of before.
  const uncapped = plan(threeHours);
  assert.deepEqual(valueOf(uncapped.args, '-fs'), []);
  assert.deepEqual(valueOf(uncapped.args, '-t'), [threeHours]);
});

test('INGEST_SITE_QUOTA: each -fs is at most the bytes the site has left', () => {
  const cd = { sampleRate: 44_100, channels: 2, sampleKind: 'int' as const, bitDepth: 16 };
  const plan = (maxBytes?: number, maxDurationS?: number) =>
    buildTranscodeArgs({
      inputs: [{ path: '/in/quiet.flac', policy: cd, endS: null }],
      renditions: [
        { format: 'wav', path: '/out/q.wav', input: 0, copy: false },
        { format: 'mp3', path: '/out/q.mp3', input: 0, copy: false },
      ],
      metadata: {},
      cover: { kind: 'none' },
      maxDurationS,
      maxBytes,
    });
  const fsOf = (argv: string[]) =>
    argv.flatMap((a, i) => (a === '-fs' ? [Number(argv[i + 1])] : []));

  // Without a duration limit the quota alone caps every rendition.
  assert.deepEqual(fsOf(plan(2_000_000).args), [2_000_000, 2_000_000]);
  // With one, the lower of the two (10 s make well under 100 MB).
  assert.deepEqual(fsOf(plan(2_000_000, 10).args), [2_000_000, 2_000_000]);
  const roomy = plan(100_000_000, 10);
  assert.ok(roomy.byteCaps.every((cap) => cap! < 100_000_000));
  assert.deepEqual(fsOf(roomy.args), roomy.byteCaps);
  assert.deepEqual(fsOf(plan(undefined).args), []);
});
