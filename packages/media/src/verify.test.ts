import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  differentRecording,
  durationTolerance,
  isTruncated,
  outOfSpaceIn,
  renditionProblems,
  sourceVerdict,
  withinTolerance,
  type DecodeOutcome,
  type RenditionFacts,
} from './verify';

test('tolerance is 1% with a 50 ms floor', () => {
  assert.equal(durationTolerance(1), 0.05);
  assert.equal(durationTolerance(5), 0.05);
  assert.equal(durationTolerance(100), 1);
  assert.equal(withinTolerance(100.99, 100), true);
  assert.equal(withinTolerance(101.01, 100), false);
  assert.equal(withinTolerance(2.049, 2), true);
  assert.equal(withinTolerance(2.051, 2), false);
});

test('truncation needs a reliable header, >10% and >0.5 s missing', () => {
  const reliable = (durationS: number) => ({ durationS, reliable: true });
  assert.equal(isTruncated(reliable(247), 0.2), true);
  assert.equal(isTruncated({ durationS: 247, reliable: false }, 0.2), false);
  assert.equal(isTruncated({ durationS: null, reliable: true }, 1), false);
  // 40% missing but only 0.04 s: a short file's encoder padding.
  assert.equal(isTruncated(reliable(0.104), 0.062), false);
  // 0.6 s missing but only 6%.
  assert.equal(isTruncated(reliable(10), 9.4), false);
  assert.equal(isTruncated(reliable(10), 8.9), true);
  assert.equal(isTruncated(reliable(4), 3.4), true);
});

const NO_HEADER = { durationS: null, reliable: false };

const outcome = (over: Partial<DecodeOutcome>): DecodeOutcome => ({
  exitCode: 0,
  decodedS: 10,
  header: { durationS: 10, reliable: true },
  firstComplaint: null,
  lastLine: null,
  rateKnown: true,
  ...over,
});

test('a clean decode passes', () => {
  assert.equal(sourceVerdict(outcome({})), null);
});

test('a failed run that read no frame of a rateless stream is the source', () => {
  // An ID3 tag before junk: ffmpeg exits 1 setting up filters for rate 0.
  const junk = sourceVerdict(
    outcome({
      exitCode: 1,
      decodedS: 0,
      rateKnown: false,
      firstComplaint: '[mp3float] Header missing',
      lastLine: 'Error configuring filter graph',
    }),
  );
  assert.equal(junk?.code, 'undecodable');
  assert.equal(
    junk?.message,
    'no audio could be decoded: [mp3float] Header missing',
  );
  // Once something decoded, a failed run is ffmpeg's, whatever the probe.
  assert.equal(
    sourceVerdict(outcome({ exitCode: 1, decodedS: 2, rateKnown: false }))
      ?.code,
    'transcode_failed',
  );
});

test('verdict order: failed run, nothing, truncated, error rate, short', () => {
  assert.equal(
    sourceVerdict(outcome({ exitCode: 1, decodedS: 0 }))?.code,
    'transcode_failed',
  );
  assert.equal(
    sourceVerdict(outcome({ exitCode: 1, lastLine: 'No space left on device' }))
      ?.message,
    'ffmpeg failed (exit code 1): No space left on device',
  );
  const none = sourceVerdict(
    outcome({ decodedS: 0, firstComplaint: '[flac] invalid residual' }),
  );
  assert.equal(none?.code, 'undecodable');
  assert.equal(
    none?.message,
    'no audio could be decoded: [flac] invalid residual',
  );

  // Three stray samples of a file that declares minutes: cut all the same.
  const stray = sourceVerdict(
    outcome({ decodedS: 3 / 44_100, header: { durationS: 187, reliable: true } }),
  );
  assert.equal(stray?.code, 'truncated');
  assert.equal(stray?.message, 'truncated: header says 187.0 s, under 0.001 s decodable');
  // A WAV cut to 1000 bytes: a few ms decode, which the text must not deny.
  const cutShort = sourceVerdict(
    outcome({
      decodedS: 478 / 48_000,
      header: { durationS: 5, reliable: true },
      firstComplaint: '[wav] packet too small',
    }),
  );
  assert.equal(cutShort?.code, 'truncated');
  assert.equal(cutShort?.message, 'truncated: header says 5.0 s, 0.010 s decodable');
  assert.doesNotMatch(cutShort!.message, /produced nothing/);

  // An m4a cut where its audio begins: nothing decodes, and the demuxer
  // says so ("partial file"). Without a declared length it proves nothing.
  const partial = '[mov,mp4,m4a,3gp,3g2,mj2] stream 0, offset 0x921aa: partial file';
  const cutEarly = { decodedS: 0, firstComplaint: partial, cutShort: true };
  const early = sourceVerdict(
    outcome({ ...cutEarly, header: { durationS: 224.002902, reliable: true } }),
  );
  assert.equal(early?.code, 'truncated');
  assert.equal(early?.message, 'truncated: header says 224.0 s, 0.0 s decodable');
  assert.equal(
    sourceVerdict(outcome({ ...cutEarly, header: { durationS: 224, reliable: false } }))
      ?.message,
    `no audio could be decoded: ${partial}`,
  );

  const cut = sourceVerdict(
    outcome({ decodedS: 0.2, header: { durationS: 247, reliable: true } }),
  );
  assert.equal(cut?.code, 'truncated');
  assert.equal(
    cut?.message,
    'truncated: header says 247.0 s, 0.20 s decodable',
  );

  assert.equal(
    sourceVerdict(
      outcome({
        exitCode: 69,
        decodedS: 0.5,
        header: { durationS: 27, reliable: false },
      }),
    )?.code,
    'undecodable',
  );
  assert.equal(
    sourceVerdict(
      outcome({
        decodedS: 0.002,
        header: { durationS: 0.001, reliable: true },
      }),
    )?.code,
    'too_short',
  );
  // Just short of one mp3 frame: the text must not round up to it.
  assert.equal(
    sourceVerdict(outcome({ decodedS: 551 / 22_050, header: NO_HEADER }))
      ?.message,
    'only 0.024 s of audio could be decoded, too short to publish',
  );
  assert.match(
    sourceVerdict(outcome({ decodedS: 0.0004, header: NO_HEADER }))
      ?.message ?? '',
    /^only under 0\.001 s of audio/,
  );
  // An estimated header is no evidence: a short decode is then fine.
  assert.equal(
    sourceVerdict(
      outcome({ decodedS: 0.5, header: { durationS: 8, reliable: false } }),
    ),
    null,
  );
});

test('rendition problems name each miss', () => {
  const facts: RenditionFacts = {
    format: 'wav',
    audioStreams: 1,
    otherStreams: 0,
    pictures: 0,
    codec: 'pcm_s24le',
    sampleRate: 96_000,
    channels: 2,
    bitDepth: 24,
    decodedS: 10,
  };
  const expected = {
    codec: 'pcm_s24le',
    sampleRate: 96_000,
    channels: 2,
    bitDepth: 24,
    durationS: 10.05,
  };
  assert.deepEqual(renditionProblems(facts, expected), []);

  const bad = renditionProblems(
    { ...facts, audioStreams: 2, pictures: 1, bitDepth: 16, decodedS: 9 },
    expected,
  );
  assert.equal(bad.length, 4);
  assert.match(bad.join('\n'), /2 audio streams/);
  assert.match(bad.join('\n'), /cover picture became a stream/);
  assert.match(bad.join('\n'), /decodes to 9\.000 s/);
  assert.match(bad.join('\n'), /bitDepth is 16, expected 24/);

  // mp3 may carry its cover as an attached picture.
  assert.deepEqual(
    renditionProblems(
      { ...facts, format: 'mp3', pictures: 1, codec: 'mp3', bitDepth: null },
      { ...expected, codec: 'mp3', bitDepth: null },
    ),
    [],
  );
});

test('second sources must decode to the primary length', () => {
  const wav = { container: 'wav', decodedS: 3 };
  assert.equal(differentRecording([wav]), null);
  const close = { container: 'mp3', decodedS: 3.04 };
  assert.equal(differentRecording([wav, close]), null);
  const off = differentRecording([wav, { container: 'mp3', decodedS: 1 }]);
  assert.equal(off?.code, 'verification_failed');
  assert.match(
    off!.message,
    /^the mp3 source decodes to 1\.0 s but the wav source to 3\.0 s: /,
  );
  // Either may be the wrong one: the advice blames neither.
  assert.doesNotMatch(off!.message, /upload the mp3|upload the wav/);
  // The upload errored, so upload_id can no longer attach to it; the text
  // names what keeps two files apart (stems are matched per job).
  assert.ok(
    off!.message.endsWith(
      ' must be the same recording. Upload the right files again; to keep ' +
        'both as separate tracks, give them file names that differ before ' +
        'the extension (not only in case), or upload them to different ' +
        'jobs (job_id)',
    ),
    off!.message,
  );
  assert.doesNotMatch(off!.message, /upload_id/);
});

test('a pass that ran out of room carries the errno as its cause', () => {
  const lines = [
    'Error writing trailer of file:/data/work/u1-x/out.flac: No space left on device',
  ];
  assert.equal(outOfSpaceIn(lines), 'ENOSPC');
  assert.equal(outOfSpaceIn(['av_interleaved_write_frame(): Disk quota exceeded']), 'EDQUOT');
  assert.equal(outOfSpaceIn(['Conversion failed!']), undefined);

  const full = sourceVerdict(
    outcome({ exitCode: 1, lastLine: lines[0], outOfSpace: 'ENOSPC' }),
  );
  assert.equal(full?.code, 'transcode_failed');
  assert.equal((full?.cause as NodeJS.ErrnoException).code, 'ENOSPC');
  const crashed = sourceVerdict(outcome({ exitCode: 1, lastLine: 'Conversion failed!' }));
  assert.equal(crashed?.cause, undefined);
});

test('an input ffmpeg could not open: the source, unless the server failed', () => {
  const opened = (openFailure: string) =>
    sourceVerdict(outcome({ exitCode: 1, decodedS: 0, openFailure }))?.code;
  assert.equal(opened('Invalid data found when processing input'), 'undecodable');
  // The server's trouble (memory, a work disk on NFS, a busy system):
  // a retry may pass, so no verdict on the source.
  for (const reason of [
    'No such file or directory',
    'Permission denied',
    'Too many open files',
    'Input/output error',
    'Cannot allocate memory',
    'Stale file handle',
    'Resource temporarily unavailable',
    'Interrupted system call',
    'Connection timed out',
    'Is a directory',
  ]) {
    assert.equal(opened(reason), 'transcode_failed', reason);
  }
});
