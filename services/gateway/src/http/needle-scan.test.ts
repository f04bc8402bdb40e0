import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NeedleScan } from './needle-scan';

const NEEDLE = Buffer.from('\r\n--bound');

/** What a scan of `body` in `chunks` tells: data runs joined, `|` a match. */
function scanned(chunks: Buffer[]): string {
  const told: Buffer[] = [];
  const scan = new NeedleScan(
    NEEDLE,
    (bytes) => told.push(Buffer.from(bytes)),
    () => told.push(Buffer.from('|')),
  );
  for (const chunk of chunks) scan.push(chunk);
  return Buffer.concat(told).toString('latin1');
}

/** A random byte in `pieces`-heavy text: needle prefixes, CRs, dashes. */
function randomBody(random: () => number, length: number): Buffer {
  const pieces = ['\r', '\n', '-', '\r\n--', '\r\n--bou', '\r\n--bound', 'x', 'bound'];
  let text = '';
  while (text.length < length) text += pieces[Math.floor(random() * pieces.length)];
  return Buffer.from(text, 'latin1');
}

test('matches and the bytes between are told alike however the body is cut', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 300; round++) {
    const body = randomBody(random, 1 + Math.floor(random() * 400));
    // All matches of the whole body, the bytes between them kept.
    const expected = body.toString('latin1').split(NEEDLE.toString('latin1')).join('|');
    const cuts: Buffer[][] = [[body], [...body].map((byte) => Buffer.of(byte))];
    const random1: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const size = 1 + Math.floor(random() * NEEDLE.length * 2);
      random1.push(body.subarray(at, at + size));
      at += size;
    }
    cuts.push(random1);
    for (const chunks of cuts) {
      // Bytes still held (a possible match at the end) are not told.
      const told = scanned(chunks);
      assert.ok(expected.startsWith(told), `round ${round}`);
      assert.ok(expected.length - told.length < NEEDLE.length, `round ${round}`);
      assert.equal(scanned([...chunks, NEEDLE]), `${expected}|`, `round ${round}`);
    }
  }
});
