import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inexactNumbers, refuseInexactMeta } from './json-number-text';

const all = () => true;

test('finds the numbers JSON reads as other digits, by their path', () => {
  const json =
    '{"a":1e-400,"b":[1,0.1000000000000000000001,{"c":9007199254740993}],' +
    '"d":{"e\\"}":1E400,"f":"1e-400, \\"g\\":1e-400"},"h":-0.0}';
  assert.deepEqual(inexactNumbers(json, all), [
    { path: ['a'], text: '1e-400' },
    { path: ['b', '1'], text: '0.1000000000000000000001' },
    { path: ['b', '2', 'c'], text: '9007199254740993' },
    { path: ['d', 'e"}'], text: '1E400' },
  ]);
});

test('takes numbers that read as written, however they are written', () => {
  const json = '[0, -0, 1.50, 1e1, 2E-3, 120.0, 5e-324, 9007199254740991, 1e21, 0.1]';
  assert.deepEqual(inexactNumbers(json, all), []);
});

test('looks only where asked, by the path of the container', () => {
  const json = '{"meta":{"BPM":1e-400},"other":{"x":1e-400},"top":1e-400}';
  const metaOnly = inexactNumbers(json, (parent) => parent[0] === 'meta');
  assert.deepEqual(metaOnly, [{ path: ['meta', 'BPM'], text: '1e-400' }]);
});

test('takes a double written out to more digits than it needs', () => {
  // `%.17g`, jsoncpp and PHP with serialize_precision = 17 write every
  // double with 17 digits: 92.3 goes out as 92.299999999999997.
  const json =
    '[92.299999999999997, 0.10000000000000001, 1.0000000000000002, ' +
    '0.1000000000000000055511151231257827, 1.7976931348623157e308, ' +
    '-2.2250738585072014e-308]';
  assert.deepEqual(inexactNumbers(json, all), []);
  // Digits no double rounds to stay refused.
  assert.deepEqual(inexactNumbers('[92.299999999999998, 0.10000000000000000001]', all), [
    { path: ['0'], text: '92.299999999999998' },
    { path: ['1'], text: '0.10000000000000000001' },
  ]);
});

test('wanted is handed one array, kept up to date, never a copy', () => {
  // A copy per number costs depth × numbers: see the next test.
  const handed = new Set<readonly string[]>();
  const seen: string[] = [];
  inexactNumbers('{"a":[1,[2,{"b":3}]],"c":4}', (parent) => {
    handed.add(parent);
    seen.push(parent.join('/'));
    return true;
  });
  assert.deepEqual(seen, ['a', 'a/1', 'a/1/1', '']);
  assert.equal(handed.size, 1);
});

test('a body nested deep is scanned in one pass', () => {
  // 200 000 levels and as many numbers: with a path copied per number,
  // 2·10^10 steps, minutes of one core for a 1 MiB body.
  const depth = 200_000;
  const json =
    '{"meta":{"BPM":1e-400},"x":' + '['.repeat(depth) + '1,'.repeat(depth) +
    '1' + ']'.repeat(depth) + '}';
  const found = inexactNumbers(
    json,
    (parent) => parent.length === 1 && parent[0] === 'meta',
  );
  assert.deepEqual(found, [{ path: ['meta', 'BPM'], text: '1e-400' }]);
});

// JSON.parse keeps the last of a key given twice: a bad number under
// the first `meta` of a body was refused though only the second counts.
test('a number under a key given again later is not found', () => {
  const metaOnly = (parent: readonly string[]) => parent[0] === 'meta' || !parent.length;
  const twice = '{"meta":{"BPM":1e-400},"x":1,"meta":{"BPM":"120"}}';
  assert.deepEqual(inexactNumbers(twice, metaOnly), []);
  refuseInexactMeta(twice, JSON.parse(twice));
  const inside = '{"meta":{"BPM":1e-400,"Key":1e-400,"BPM":"120"}}';
  assert.deepEqual(inexactNumbers(inside, metaOnly), [{ path: ['meta', 'Key'], text: '1e-400' }]);
  // The later one is still looked at, and so is a key given once.
  const later = '{"meta":{"BPM":"120"},"meta":{"BPM":1e-400},"meta[Key]":1e400}';
  assert.deepEqual(inexactNumbers(later, all), [
    { path: ['meta', 'BPM'], text: '1e-400' },
    { path: ['meta[Key]'], text: '1e400' },
  ]);
  assert.throws(() => refuseInexactMeta(later, JSON.parse(later)), /meta\[BPM\] is a JSON number/);
  const flat = '{"meta[BPM]":1e-400,"meta[BPM]":"1"}';
  assert.deepEqual(inexactNumbers(flat, all), []);
  // Items of an array are no keys: each counts.
  assert.equal(inexactNumbers('{"a":[1e-400,{"b":1,"b":2},1e-400]}', all).length, 2);
});
