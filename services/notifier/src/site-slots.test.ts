import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiteSlots } from './site-slots';

test('a site alone uses all but the reserve; the others get the reserve', () => {
  const slots = new SiteSlots(4, 16);
  let busy = 0;
  while (slots.take(1)) busy += 1;
  // 12 for the one site, 4 kept free for any other.
  assert.equal(busy, 12);
  for (const site of [2, 2, 3, 4]) assert.ok(slots.take(site), `site ${site}`);
  // All 16 busy; when one frees, a site within its share gets it.
  slots.release(1);
  assert.equal(slots.take(1), false, 'over its share, no spare');
  assert.ok(slots.take(5));
});

test('a release without a take changes nothing', () => {
  const slots = new SiteSlots(1, 2);
  slots.release(7);
  assert.ok(slots.take(7));
  assert.equal(slots.take(7), false);
  slots.release(7);
  assert.ok(slots.take(7));
});
