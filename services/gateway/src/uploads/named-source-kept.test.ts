/**
 * A source that an upload names is kept when a step of the call after
 * that fails (here the job's `oncomplete`, refused as by a Redis that
 * stopped answering). The service removed it as if the upload had been
 * refused: the upload, or the upload it was attached to as a secondary
 * source, then errored for a source that was gone.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { SourceIndex, StateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { makeTone, redisForTests } from '@ingest/testkit';
import { mediaInspector } from './media-inspector';
import { SecondarySources } from './secondary-sources';
import { UploadService } from './upload-service';

const own = redisForTests();
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'named-source-kept-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a source its upload names stays when the job's oncomplete fails after", async () => {
  const logger = createLogger('test', 'silent');
  const store = new StateStore(own.redis);
  const storage = new FileStorage(path.join(dir, 'storage'));
  // The store as the service sees it: the job's oncomplete is refused.
  const refusing = Object.create(store) as StateStore;
  refusing.setOncomplete = () => Promise.reject(new Error('redis refused the write'));
  const uploads = new UploadService({
    store: refusing,
    storage,
    inspector: mediaInspector(loadConfig({}), logger),
    fetchSource: () => Promise.reject(new Error('no fetch here')),
    maxSourceBytes: 1 << 24,
    secondary: new SecondarySources({
      store: refusing,
      index: new SourceIndex(own.redis),
      storage,
      logger,
    }),
  });
  const site = await store.createSite({ name: 'kept', token: 'kept-token', webhookSecret: 'w' });
  const job = await store.mainJob(site.id);
  const request = {
    job,
    autopublish: false,
    toMainJob: true,
    oncomplete: 'https://example.com/hook',
  };

  // A new upload, then its flac as a secondary source of it.
  for (const name of ['song.wav', 'song.flac']) {
    const codec = name.endsWith('.flac') ? 'flac' : undefined;
    const file = await makeTone(path.join(dir, name), { seconds: 1, codec });
    const received = await uploads.receive(site, createReadStream(file), name);
    const refused = await uploads.accept(site, request, received).then(
      () => assert.fail(`${name} was accepted with its oncomplete refused`),
      (err: unknown) => err as { code?: string; message: string; details?: unknown },
    );
    const [uploadId] = await store.uploadIds(job.id);
    // The answer names what was stored and what was not done (SPEC §1).
    assert.equal(refused.code, 'internal');
    assert.match(refused.message, new RegExp(`^upload ${uploadId} was stored, but the oncomplete`));
    assert.deepEqual(refused.details, { upload_id: uploadId });
    const upload = await store.uploadById(uploadId);
    assert.ok(upload, `no upload after ${name}`);
    const named = Object.values(upload.sources).map((source) => source.storageKey);
    assert.ok(named.includes(received.storageKey), `${name} is not named`);
    await access(path.join(dir, 'storage', received.storageKey));
  }
});
