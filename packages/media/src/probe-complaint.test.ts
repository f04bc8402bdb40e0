import assert from 'node:assert/strict';
import { test } from 'node:test';

import { endsBeforeItsIndex, firstComplaint, unreadableReason } from './probe-complaint';

const PATH = '/data/sources/2/abc';

// What the bundled ffprobe printed for corpus files that are ID3 tags
// with no mp3 frame behind them (bad-POPM-frame.mp3, issue-641.mp3).
const TAGS_ONLY = [
  '[mp3 @ 0x34b7a240] Format mp3 detected only with low score of 1, ' +
    'misdetection possible!',
  '[mp3 @ 0x34b7a240] filesize and duration do not match (growing file?)',
  '[mp3 @ 0x34b7a240] Invalid frame size (104): Could not seek to 2083.',
  `file:${PATH}: Invalid argument`,
];

test('a weakly guessed container that does not open says no audio of it was found', () => {
  assert.equal(
    unreadableReason(TAGS_ONLY, PATH),
    'no mp3 audio could be found in it (ffmpeg only guessed the format; ' +
      '[mp3] Invalid frame size (104): Could not seek to 2083.)',
  );
});

test('"growing file?" is never given as the reason', () => {
  const lines = [TAGS_ONLY[1], '[mp3 @ 0x1] Failed to read frame size: Could not seek to 19.'];
  assert.equal(
    firstComplaint(lines, PATH),
    '[mp3] Failed to read frame size: Could not seek to 19.',
  );
});

test('a container ffmpeg recognised keeps its own complaint', () => {
  const lines = [
    '[flac @ 0x2f6dd340] Attached picture metadata block too short',
    `file:${PATH}: Invalid data found when processing input`,
  ];
  assert.equal(unreadableReason(lines, PATH), '[flac] Attached picture metadata block too short');
});

test("a demuxer's \"partial file\" is a file cut short, and only of its own container", () => {
  const mov = 'mov,mp4,m4a,3gp,3g2,mj2';
  const lines = [
    `[${mov} @ 0x356ceb80] stream 0, timescale not set`,
    `[${mov} @ 0x356ceb80] stream 0, offset 0x921aa: partial file`,
  ];
  assert.equal(endsBeforeItsIndex(lines, mov), true);
  assert.equal(endsBeforeItsIndex(lines, 'flac'), false);
  assert.equal(endsBeforeItsIndex(lines.slice(0, 1), mov), false);
});
