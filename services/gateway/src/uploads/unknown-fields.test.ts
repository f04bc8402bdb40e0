import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, type Site } from '@ingest/core';
import { checkMeta } from './upload-service';

const site: Site = {
  id: 1,
  name: 'Label',
  webhookSecret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0',
  customFields: ['External ID'],
};

test('an unknown field name is refused with the name it likely meant', () => {
  assert.throws(
    () => checkMeta(site, { title: 'x', 'External ID': 'y', Colour: 'z' }),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'unknown_fields');
      // "unknown metadata fields: title" left a first user to find out
      // that names are matched exactly, case and prefix too.
      assert.equal(
        err.message,
        'unknown metadata fields: title (did you mean Title?), External ID ' +
          '(did you mean Custom: External ID?), Colour',
      );
      assert.deepEqual(err.details.fields, [
        'title',
        'External ID',
        'Colour',
      ]);
      return true;
    },
  );
});
