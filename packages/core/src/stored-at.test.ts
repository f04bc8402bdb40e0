import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextStoredAt } from './stored-at';

const at = (iso: string) => new Date(iso);

test('a first version is stored now', () => {
  const now = at('2024-05-01T10:00:00.250Z');
  assert.equal(nextStoredAt(undefined, now), now.toISOString());
  assert.equal(nextStoredAt('not a date', now), now.toISOString());
});

test('a later version is now when a second or more has passed', () => {
  const now = at('2024-05-01T10:00:07.100Z');
  assert.equal(
    nextStoredAt('2024-05-01T10:00:03.900Z', now),
    '2024-05-01T10:00:07.100Z',
  );
});

test('a version within the same second moves on to the next', () => {
  assert.equal(
    nextStoredAt('2024-05-01T10:00:03.100Z', at('2024-05-01T10:00:03.800Z')),
    '2024-05-01T10:00:04.000Z',
  );
  // A clock that went back still gives a later second.
  assert.equal(
    nextStoredAt('2024-05-01T10:00:03.100Z', at('2024-05-01T09:59:00.000Z')),
    '2024-05-01T10:00:04.000Z',
  );
});
