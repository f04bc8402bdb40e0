import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisForTests } from '@ingest/testkit';
import { EmailPace } from './email-pace';

const WINDOW_MS = 60_000;
const own = redisForTests();

test('past the pace, emails wait a window each; none is refused', async () => {
  const pace = new EmailPace(own.redis, 2, WINDOW_MS);
  const delays: number[] = [];
  for (const id of ['a', 'b', 'c', 'd', 'e']) {
    delays.push(await pace.delayOf(1, id));
  }
  assert.deepEqual(delays.slice(0, 2), [0, 0]);
  // The third and fourth a window after the first two, the fifth two.
  for (const [i, windows] of [[2, 1], [3, 1], [4, 2]]) {
    assert.ok(delays[i] > windows * WINDOW_MS - 5_000, `email ${i}: ${delays[i]}`);
    assert.ok(delays[i] <= windows * WINDOW_MS, `email ${i}: ${delays[i]}`);
  }

  // Asked again (a completion run twice), an email keeps its turn.
  const again = await pace.delayOf(1, 'c');
  assert.ok(again <= delays[2] && again > WINDOW_MS - 5_000, `again: ${again}`);
  // Another site has a pace of its own.
  assert.equal(await pace.delayOf(2, 'a'), 0);
});
