import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutputFormat, Rendition, Track } from '@ingest/core';
import { otherRecording } from './update-recording';

const rendition = (format: OutputFormat, duration: number): Rendition => ({
  format,
  duration,
  storageKey: `tracks/1/${format}`,
  bytes: 1,
  sha256: '',
  sampleRate: 44_100,
  channels: 2,
  codec: format,
});

const track = (...renditions: Rendition[]) =>
  ({
    id: 1,
    renditions: Object.fromEntries(renditions.map((r) => [r.format, r])),
  }) as unknown as Track;

const twoSeconds = track(rendition('wav', 2), rendition('mp3', 2.02));

test('an update of some formats must last as the renditions it keeps', () => {
  const fault = otherRecording(twoSeconds, { formats: ['mp3'] }, ['mp3'], [
    rendition('mp3', 5),
  ]);
  assert.equal(fault?.code, 'verification_failed');
  assert.match(fault?.message ?? '', /lasts 5\.0 s and the track's wav/);
  assert.match(fault?.message ?? '', /every format of the track \(mp3, wav\)/);
  // A format the track lacks, added: the kept ones are compared too.
  assert.ok(
    otherRecording(twoSeconds, { formats: ['aiff'] }, ['aiff'], [
      rendition('aiff', 2.5),
    ]),
  );
});

test('within 1% or 50 ms is the same recording', () => {
  const near = otherRecording(twoSeconds, { formats: ['mp3'] }, ['mp3'], [
    rendition('mp3', 2.05),
  ]);
  assert.equal(near, null);
  const long = track(rendition('wav', 600), rendition('mp3', 600));
  const onePercent = otherRecording(long, { formats: ['mp3'] }, ['mp3'], [
    rendition('mp3', 605.9),
  ]);
  assert.equal(onePercent, null);
});

test('an update of every format, or of none it owns, is not compared', () => {
  const all = otherRecording(twoSeconds, { formats: ['mp3', 'wav'] }, ['mp3', 'wav'], [
    rendition('mp3', 5),
    rendition('wav', 5),
  ]);
  assert.equal(all, null);
  // A newer update took its only format: it brings no audio.
  const taken = otherRecording(twoSeconds, { formats: ['mp3'] }, [], [
    rendition('mp3', 5),
  ]);
  assert.equal(taken, null);
});

// An older update of every format, applied after a newer one of the mp3
// (its job published later): it owns the wav only, and the track would
// keep the newer update's 2 s mp3 beside its own 5 s wav.
test('an update of every format a newer one took part of is compared', () => {
  const fault = otherRecording(twoSeconds, { formats: ['mp3', 'wav'] }, ['wav'], [
    rendition('mp3', 5),
    rendition('wav', 5),
  ]);
  assert.equal(fault?.code, 'verification_failed');
  assert.match(
    fault?.message ?? '',
    /lasts 5\.0 s and the track's mp3, which a newer update replaced, lasts 2\.0 s/,
  );
});
