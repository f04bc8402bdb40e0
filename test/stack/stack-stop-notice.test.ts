/** The line a stopping npm start prints about the work it waits for. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stoppingLine } from '../../scripts/stack-stop-notice';

const none = { uploads: 0, imports: 0, transcodes: 0, deliveries: 0 };

test('the wait is the hand-back time of each service with work, in turn', () => {
  assert.equal(stoppingLine(none, 30_000), undefined);
  assert.equal(
    stoppingLine({ ...none, transcodes: 2 }, 30_000),
    'stopping: waiting up to 25 s for 2 transcodes in flight, then cutting short what is left',
  );
  // Uploads and imports are both the gateway's: one wait.
  assert.equal(
    stoppingLine({ uploads: 1, imports: 3, transcodes: 1, deliveries: 1 }, 30_000),
    'stopping: waiting up to 75 s for 1 upload, 3 imports, 1 transcode and ' +
      '1 delivery in flight, then cutting short what is left',
  );
  // INGEST_SHUTDOWN_TIMEOUT=0: nothing is waited for.
  assert.equal(stoppingLine({ ...none, uploads: 1 }, 0), undefined);
});
