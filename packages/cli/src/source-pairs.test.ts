import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UploadItem } from './source-collector';
import { nameFromUrl } from '@ingest/core';
import { pairedGroups, pairProblems, stemOf } from './source-pairs';

const file = (p: string): UploadItem => ({
  kind: 'file',
  path: p,
  name: p.split('/').pop()!,
});

test('groups names as the gateway joins them: any case, other extension', () => {
  const groups = pairedGroups(
    ['a/Song.WAV', 'b/song.mp3', 'a/x.wav', 'b/x.wav', 'c/noext', 'd/noext.flac'].map(file),
  );
  // x.wav twice is two uploads; a name without an extension never matches.
  assert.deepEqual(
    groups.map((g) => g.map((i) => i.name)),
    [['Song.WAV', 'song.mp3']],
  );
});

test('one name however its accents are written, as the gateway joins it', () => {
  // NFD, as macOS names files, beside the same name composed.
  const groups = pairedGroups(['a/Koraso\u0301n.flac', 'b/Koras\u00f3n.wav'].map(file));
  assert.equal(groups.length, 1);
});

test('long names pair as the gateway pairs them: by the stem it keeps', () => {
  // The gateway keeps a long name's first 239 characters as its stem.
  const long = 'a'.repeat(240);
  const groups = pairedGroups([`a/${long}1.wav`, `b/${long}2.flac`].map(file));
  assert.equal(groups.length, 1);
  // An upload from a URL of a longer name is listed with its cut name;
  // a local file of that name, in another format, joins it.
  const listed = nameFromUrl(`http://127.0.0.1/${'b'.repeat(300)}.wav`);
  assert.equal(listed, `${'b'.repeat(239)}.wav`);
  assert.equal(stemOf(listed), stemOf(`${'b'.repeat(250)}.flac`));
});

test('lengths apart beyond the tolerance, or unknown across folders, are refused', async () => {
  const lengths: Record<string, number | string> = {
    'a/one.wav': 180,
    'b/one.mp3': 180.4,
    'a/two.wav': 180,
    'b/two.flac': 200,
    'a/three.wav': 'not a readable audio file',
    'b/three.flac': 60,
    'a/four.wav': 'not a readable audio file',
    'a/four.mp3': 'not a readable audio file',
  };
  const problems = await pairProblems(
    Object.keys(lengths).map(file),
    async (p) => lengths[p],
  );
  assert.deepEqual(
    problems.map((p) => [p.problem, p.files[0].source]),
    [
      ['lengths_differ', 'a/two.wav'],
      ['lengths_unknown', 'a/three.wav'],
    ],
  );
});
