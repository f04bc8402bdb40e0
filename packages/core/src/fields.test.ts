import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKnownField, unknownFields } from './fields';

const custom = ['External ID'];

test('standard names are known, exactly as spelled', () => {
  for (const name of ['Title', 'Track Number', 'ISWC', 'Filename']) {
    assert.ok(isKnownField(name, custom), name);
  }
  assert.equal(isKnownField('title', custom), false);
  assert.equal(isKnownField('Title ', custom), false);
});

test('numbered patterns take whole numbers from 1 to 999 only', () => {
  for (const name of [
    'Writer 1 First Name',
    'Writer 12 Last Name',
    'Publisher 3 IPI',
    'Publisher 1 Collection Share Percentage 2',
    'Publisher 10 Collection Territory 7',
    'Writer 999 First Name',
  ]) {
    assert.ok(isKnownField(name, custom), name);
  }
  for (const name of [
    'Writer X First Name',
    'Writer {X} First Name',
    'Writer 0 First Name',
    'Writer 01 First Name',
    'Writer -1 First Name',
    'Writer 1.5 First Name',
    'Writer 1 Nickname',
    'Publisher 1 Collection Share Percentage',
    'Publisher 1 Collection Share Percentage 0',
    'Writer 1 First Name extra',
    'Writer 1000 First Name',
    'Publisher 1 Collection Territory 1000',
  ]) {
    assert.equal(isKnownField(name, custom), false, name);
  }
});

test('custom fields are the site\'s own, behind the prefix', () => {
  assert.ok(isKnownField('Custom: External ID', custom));
  assert.equal(isKnownField('Custom: External ID', []), false);
  assert.equal(isKnownField('External ID', custom), false);
  assert.equal(isKnownField('Custom: Other', custom), false);
});

test('unknownFields names every offender, in order', () => {
  const meta = { Title: 'a', Colour: 'b', 'Writer 0 IPI': 'c', BPM: '1' };
  assert.deepEqual(unknownFields(meta, custom), ['Colour', 'Writer 0 IPI']);
  assert.deepEqual(unknownFields({}, custom), []);
});
