import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { makeTone, wrapDtsHd, writeDff, writeDsf } from '@ingest/testkit';
import { createMediaTools, looksLikeAudio } from './index';
import { rejectsWith } from './test-fixtures';

// Dolby, DTS and DSD sources, written by the bundled ffmpeg where it has
// an encoder and byte by byte where it has none: each is taken as what
// it is, made into every rendition, and found truncated when cut where
// its header declares a length.

const tools = createMediaTools();
let dir: string;

interface Sample {
  file: string;
  container: string;
  seconds: number;
  /** Whether the file declares its length (else a cut one is shorter). */
  declares: boolean;
}

const samples: Sample[] = [];

const dolby = [
  ['tone.ac3', 'ac3', ['-c:a', 'ac3']],
  ['tone.eac3', 'eac3', ['-c:a', 'eac3']],
  ['tone.dts', 'dts', ['-c:a', 'dca', '-strict', '-2']],
  ['tone.thd', 'truehd', ['-c:a', 'truehd', '-strict', '-2', '-f', 'truehd']],
  ['tone.mlp', 'mlp', ['-c:a', 'mlp', '-strict', '-2', '-f', 'mlp']],
] as const;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ingest-surround-'));
  for (const [name, container, args] of dolby) {
    const file = join(dir, name);
    await makeTone(file, { seconds: 4, sampleRate: 48_000, args: [...args] });
    samples.push({ file, container, seconds: 4, declares: false });
  }
  const dtshd = await wrapDtsHd(join(dir, 'tone.dts'), join(dir, 'tone.dtshd'), 48_000);
  samples.push({ file: dtshd, container: 'dtshd', seconds: 4, declares: true });
  for (const [name, write] of [['tone.dsf', writeDsf], ['tone.dff', writeDff]] as const) {
    const file = await write(join(dir, name), { seconds: 2 });
    samples.push({ file, container: name.slice(5), seconds: 2, declares: true });
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('each is sniffed and probed as its container, and made', async () => {
  for (const sample of samples) {
    const sniff = await looksLikeAudio(sample.file);
    assert.deepEqual(sniff, { audio: true, container: sample.container });

    const out = (format: string) => `${sample.file}.out.${format}`;
    const result = await tools.transcode({
      source: sample.file,
      renditions: [
        { format: 'mp3', path: out('mp3') },
        { format: 'wav', path: out('wav') },
        { format: 'flac', path: out('flac') },
      ],
    });
    const { probe, decodedDurationS } = result.source;
    assert.equal(probe.container, sample.container);
    assert.ok(
      Math.abs(decodedDurationS - sample.seconds) < 0.05,
      `${sample.container}: ${decodedDurationS} s`,
    );
    assert.equal(probe.headerDurationReliable, sample.declares, sample.container);
    for (const rendition of result.renditions) {
      assert.ok(Math.abs(rendition.durationS - decodedDurationS) < 0.05);
    }
  }
});

test('DSD becomes 24-bit PCM at 352.8 kHz, DSD128 too', async () => {
  // ffmpeg decodes DSD at an eighth of its bit rate: DSD128 at 705.6 kHz,
  // past the 384 kHz renditions allow, so it was refused at upload.
  const dsd128 = await writeDsf(join(dir, 'dsd128.dsf'), { seconds: 1, rate: 5_644_800 });
  for (const file of [samples.find((s) => s.container === 'dsf')!.file, dsd128]) {
    const probe = await tools.probeSource(file, { timeoutMs: 30_000 });
    assert.equal(probe.audio?.sampleRate, 352_800);
    const result = await tools.transcode({
      source: file,
      renditions: [
        { format: 'flac', path: `${file}.hi.flac` },
        { format: 'aiff', path: `${file}.hi.aiff` },
        { format: 'mp3', path: `${file}.hi.mp3` },
      ],
    });
    const [flac, aiff, mp3] = result.renditions;
    assert.equal(flac.sampleRate, 352_800);
    assert.equal(flac.bitDepth, 24);
    assert.equal(aiff.sampleRate, 352_800);
    assert.equal(mp3.sampleRate, 44_100);
  }
});

test('DSD of a rate off the standard ones decodes to whole hertz', async () => {
  // 2.822408 MHz decodes at 352 801 Hz, halved to 176 400.5: a rate
  // ffmpeg's -ar refused, so wav and aiff failed (transcode_failed).
  const odd = await writeDsf(join(dir, 'odd-rate.dsf'), { seconds: 1, rate: 2_822_408 });
  const probe = await tools.probeSource(odd, { timeoutMs: 30_000 });
  assert.equal(probe.audio?.sampleRate, 176_401);
  const result = await tools.transcode({
    source: odd,
    renditions: [
      { format: 'wav', path: `${odd}.wav` },
      { format: 'aiff', path: `${odd}.aiff` },
    ],
  });
  assert.deepEqual(
    result.renditions.map((r) => r.sampleRate),
    [176_401, 176_401],
  );
});

test('cut short: truncated where the header declares, else shorter', async () => {
  for (const sample of samples) {
    const cut = `${sample.file}.cut`;
    const bytes = readFileSync(sample.file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(statSync(sample.file).size / 3)));
    const renditions = [{ format: 'wav' as const, path: `${cut}.wav` }];

    if (sample.declares) {
      const error = await rejectsWith(tools.transcode({ source: cut, renditions }), 'truncated');
      const declared = sample.seconds.toFixed(1).replace('.', '\\.');
      assert.match(
        error.message,
        new RegExp(`^truncated: header says ${declared} s, [\\d.]+ s decodable$`),
      );
    } else {
      // A raw stream declares nothing: what is left is the recording.
      const result = await tools.transcode({ source: cut, renditions });
      const left = result.source.decodedDurationS;
      assert.ok(left > 1 && left < 1.5, `${sample.container}: ${left} s left`);
    }
  }
});

test('no other bytes pass for a raw stream, at upload or in ffprobe', async () => {
  const random = Buffer.alloc(200_000);
  for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + (i >> 7) * 31) & 0xff;
  // Sync words of AC-3 and DTS strewn through otherwise random bytes.
  const strewn = Buffer.from(random);
  for (let i = 0; i < strewn.length - 8; i += 1000) {
    strewn.writeUInt16BE(0x0b77, i);
    strewn.writeUInt32BE(0x7ffe8001, i + 500);
  }
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), random]);
  const others = {
    'text.txt': Buffer.from('just some text\n'.repeat(5000)),
    'image.png': png,
    'doc.pdf': Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), random]),
    'zeros.bin': Buffer.alloc(200_000),
    'random.bin': random,
    'strewn.bin': strewn,
  };
  for (const [name, bytes] of Object.entries(others)) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    assert.equal((await looksLikeAudio(file)).audio, false, name);
    const probed = await tools
      .probeSource(file, { timeoutMs: 30_000 })
      .then((p) => p.container, (error: Error) => error.message);
    assert.match(probed, /^not a readable audio file/, `${name}: ${probed}`);
  }
});

/** An Amiga 8SVX sound (FORM…8SVX, then VHDR and BODY chunks). */
function amigaSound(samples: Buffer): Buffer {
  const chunk = (id: string, data: Buffer) => {
    const header = Buffer.alloc(8);
    header.write(id, 'latin1');
    header.writeUInt32BE(data.length, 4);
    return Buffer.concat([header, data, Buffer.alloc(data.length % 2)]);
  };
  const vhdr = Buffer.alloc(20);
  vhdr.writeUInt32BE(samples.length, 0);
  vhdr.writeUInt16BE(8000, 12); // samples a second
  vhdr[14] = 1; // one octave
  vhdr.writeUInt32BE(0x10000, 16); // full volume
  const form = [Buffer.from('8SVX'), chunk('VHDR', vhdr), chunk('BODY', samples)];
  return chunk('FORM', Buffer.concat(form));
}

test('only DSDIFF meets the iff demuxer, not an Amiga sound that passed the sniff', async () => {
  const samples = Buffer.alloc(44_100);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(60 * Math.sin(i / 10)) & 0xff;
  // Two MPEG-1 layer III frames (128 kbit/s, 44.1 kHz: 417 bytes) in its
  // samples: the sniff takes it as mp3, as it would take any such file.
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9000, 0);
  frame.copy(samples, 100);
  frame.copy(samples, 517);
  const file = join(dir, 'amiga.8svx');
  writeFileSync(file, amigaSound(samples));
  assert.deepEqual(await looksLikeAudio(file), { audio: true, container: 'mp3' });

  const probed = await tools
    .probeSource(file, { timeoutMs: 30_000 })
    .then((p) => `${p.container} ${p.audio?.codec}`, (error: Error) => error.message);
  assert.match(probed, /^not a readable audio file/);
  const renditions = [{ format: 'wav' as const, path: `${file}.wav` }];
  await assert.rejects(tools.transcode({ source: file, renditions }), /not a readable audio/);
});
