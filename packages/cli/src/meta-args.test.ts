import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CUSTOM_PREFIX,
  PARTY_FIELD_PATTERNS,
  STANDARD_FIELDS,
  unknownFields,
} from '@ingest/core';
import { checkFieldNames } from './meta-args';

const custom = ['External ID'];

/** What the gateway's getAvailableFields answers for that site. */
const available = {
  fields: [...STANDARD_FIELDS, ...PARTY_FIELD_PATTERNS],
  custom_fields: custom.map((name) => CUSTOM_PREFIX + name),
};

/** The names the CLI refuses, read back from its message. */
function cliRefuses(name: string): boolean {
  try {
    checkFieldNames([name], available);
    return false;
  } catch (err) {
    assert.match((err as Error).message, /^unknown metadata fields: /);
    return true;
  }
}

test('the CLI refuses exactly the names the gateway refuses', () => {
  // A first user's `Writer 1000 First Name` passed the CLI and then
  // failed every upload with unknown_fields: the gateway stops at 999.
  for (const name of [
    'Writer 1 First Name',
    'Writer 999 First Name',
    'Writer 1000 First Name',
    'Publisher 12 Collection Territory 1000',
    'Writer 0 IPI',
    'Writer {X} First Name',
    'Publisher {X} Collection Share Percentage {Y}',
    'Title',
    'title',
    'Custom: External ID',
    'External ID',
  ]) {
    const gateway = unknownFields({ [name]: 'x' }, custom).length > 0;
    assert.equal(cliRefuses(name), gateway, name);
  }
  assert.equal(cliRefuses('Writer 1000 First Name'), true);
});

test('the CLI names what a refused field most likely meant', () => {
  assert.throws(
    () => checkFieldNames(['title', 'External ID', 'Colour'], available),
    {
      message:
        'unknown metadata fields: title (did you mean Title?), ' +
        'External ID (did you mean Custom: External ID?), Colour; ' +
        'see getAvailableFields (custom fields start with "Custom: ")',
    },
  );
});
