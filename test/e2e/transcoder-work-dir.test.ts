/**
 * End to end: a transcoder makes its renditions in a work folder of its
 * own under the data dir (`work/transcoder-<hostname>-<pid>`). Stopped cleanly
 * (SIGTERM, nothing running), it leaves that folder behind no more.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { workDirOf } from '../../services/transcoder/src/work-dirs';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
  });
});

after(() => fixture?.close());

test('a clean stop removes the empty work folder of the transcoder', async () => {
  const { stack, site, files } = fixture;
  const uploaded = await stack.call('/api/import/upload', site.token, {
    url: `${files.url}/tone-1.wav`,
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  const published = await stack.call('/api/import/publish', site.token);
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const done = await stack.waitForJob(site.token, published.body.job_id);
  assert.equal(done.d, 1, JSON.stringify(done));

  const transcoder = stack.services.find((s) => s.name === 'transcoder')!;
  const root = path.join(stack.dataDir, 'work');
  const own = path.basename(workDirOf('', transcoder.child.pid));
  // The transcode made it, and left it empty.
  assert.deepEqual(await readdir(path.join(root, own)), []);

  assert.equal(await transcoder.stop('SIGTERM'), 0, transcoder.logs);
  assert.ok(!(await readdir(root)).includes(own), 'work folder left behind');
});
