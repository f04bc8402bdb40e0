import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createMediaTools } from './index';
import { byFormat, ffmpeg } from './test-fixtures';

// The best source is chosen among the sources that can be the primary:
// an unused alternative neither fails the transcode by being unreadable,
// nor is chosen for formats it cannot make while another source can.

const tools = createMediaTools();
const dir = mkdtempSync(join(tmpdir(), 'best-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tone(name: string, rate: number, codecArgs: string[]): string {
  const path = join(dir, name);
  ffmpeg([
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=2`,
    ...codecArgs, path,
  ]);
  return path;
}

test('an unreadable alternative no rendition names is left out', async () => {
  const wav = tone('cd.wav', 44_100, ['-c:a', 'pcm_s16le']);
  // Sniffs as Ogg (the gateway takes it), but ffprobe reads nothing.
  const broken = join(dir, 'broken.ogg');
  writeFileSync(broken, Buffer.concat([Buffer.from('OggS'), Buffer.alloc(4096, 7)]));
  const result = await tools.transcode({
    source: wav,
    alternatives: [broken],
    renditions: [{ format: 'flac', path: join(dir, 'out1.flac') }],
  });
  assert.equal(byFormat(result, 'flac').sampleRate, 44_100);
});

test('a higher rate flac cannot hold is not chosen to make the flac', async () => {
  const wav = tone('cd2.wav', 44_100, ['-c:a', 'pcm_s16le']);
  // 96001 Hz: wav and aiff hold it, flac only multiples of 10 above 65534.
  const odd = tone('odd.aiff', 96_001, ['-c:a', 'pcm_s24be']);
  const result = await tools.transcode({
    source: wav,
    alternatives: [odd],
    renditions: [
      { format: 'flac', path: join(dir, 'out2.flac') },
      { format: 'aiff', path: join(dir, 'out2.aiff'), sourcePath: odd },
    ],
  });
  assert.equal(byFormat(result, 'flac').sampleRate, 44_100);
  assert.equal(byFormat(result, 'aiff').sampleRate, 96_001);
});
