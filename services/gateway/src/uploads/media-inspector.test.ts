/**
 * What the upload-time inspection refuses, on files real ffmpeg made.
 * INGEST_MAX_DURATION: only a length the header declares
 * refuses a source. ffprobe's estimate from the bitrate (an mp3 without
 * a Xing header) may be many times the real length, and the transcode
 * stops a source that decodes past the limit anyway.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { defaultBinaryPaths } from '@ingest/media';
import { createLogger } from '@ingest/telemetry';
import { makeTone } from '@ingest/testkit';
import { mediaInspector } from './media-inspector';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'media-inspector-'));
});

after(() => rm(dir, { recursive: true, force: true }));

const inspector = () =>
  mediaInspector(
    loadConfig({ INGEST_MAX_DURATION: '15s' }),
    createLogger('test', 'silent'),
  );

test('a VBR mp3 without a Xing header, under the limit, is taken', async () => {
  // 1 s of silence (32 kb/s frames), then 10 s of noise near 320 kb/s:
  // ffprobe estimates the length from the first frames' rate, ~25 s.
  const file = path.join(dir, 'vbr-no-xing.mp3');
  await promisify(execFile)(defaultBinaryPaths().ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-t', '1', '-i', 'anullsrc=r=44100:cl=stereo',
    '-f', 'lavfi', '-i', 'anoisesrc=r=44100:d=10:a=0.5',
    '-filter_complex', '[0][1]concat=n=2:v=0:a=1',
    '-c:a', 'libmp3lame', '-q:a', '0', '-write_xing', '0',
    file,
  ]);
  const found = await inspector().inspect(file);
  assert.equal(found.format, 'mp3');
});

test('a source whose header declares more than the limit is refused', async () => {
  const file = path.join(dir, 'long.flac');
  await makeTone(file, { seconds: 20, sampleRate: 8000, channels: 1, codec: 'flac' });
  await assert.rejects(inspector().inspect(file), { code: 'source_too_long' });
});

test('a BW64 file is refused naming its format, its RF64 twin taken', async () => {
  const rf64 = path.join(dir, 'twin.wav');
  await promisify(execFile)(defaultBinaryPaths().ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'sine=d=1', '-rf64', 'always', rf64,
  ]);
  assert.equal((await inspector().inspect(rf64)).format, 'wav');

  // BW64 is RF64 with another first four bytes; ffmpeg 4.1 reads none.
  const file = await open(rf64, 'r+');
  await file.write(Buffer.from('BW64', 'latin1'), 0, 4, 0);
  await file.close();
  await assert.rejects(inspector().inspect(rf64), {
    code: 'not_audio',
    message:
      'BW64 (broadcast wave 64) is not supported: convert it to WAV ' +
      '(RF64 for files over 4 GiB) and upload it again',
  });
});
