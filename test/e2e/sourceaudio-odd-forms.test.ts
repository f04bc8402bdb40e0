/**
 * End to end: parameters in odd but legal forms that existing clients
 * send (repeated keys for a list, ids with leading zeros), and what
 * createJob does with parameters beyond SPEC's `name` and `email`.
 * Calls go over HTTP as PHP and Python's requests send them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { webhookReceiver } from '@ingest/testkit';
import {
  assertAnswer,
  assertFailure,
  assertUploaded,
  browserFormUpload,
  pythonRequestsUpload,
  rawRequest,
  startLegacyFixture,
  type LegacyFixture,
} from './legacy-clients';

let t: LegacyFixture;

before(async () => {
  t = await startLegacyFixture(2);
});

after(() => t?.fixture.close());

describe('odd but legal forms', () => {
  test('repeated plain formats keys are one list, as requests sends a list', async () => {
    // data={'formats': ['mp3', 'flac']} goes out as two `formats` fields;
    // so do Go's url.Values and most Java clients.
    const { headers, body } = pythonRequestsUpload(
      { token: t.token, formats: ['mp3', 'flac'], job_id: String(await newJob()) },
      { name: 'file', filename: 'tone-1.wav', bytes: await t.tone(1) },
    );
    const made = await t.postMultipart('import/upload', { headers, body });
    assertUploaded(made);
    assert.deepEqual(made.body.formats, ['mp3', 'flac']);

    const changed = await rawRequest(
      `${t.api('import/setFormats')}?token=${t.token}&formats=WAV`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(
          `upload_id=${made.body.upload_id}&formats=mp3,aiff&formats=wav`,
        ),
      },
    );
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.track.formats, ['wav', 'mp3', 'aiff']);
  });

  test('a file input left empty counts as absent, as a blank value does', async () => {
    // An HTML form with a url field and an unused file input.
    const jobId = String(await newJob());
    const blank = { name: 'file', filename: '', bytes: Buffer.alloc(0) };
    const made = await t.postMultipart(
      'import/upload',
      browserFormUpload(
        [['token', t.token], ['url', t.toneUrl(2)], ['job_id', jobId]],
        blank,
      ),
    );
    assertUploaded(made);
    assert.equal(made.body.meta.Filename, 'tone-2.wav');

    const none = await t.postMultipart(
      'import/upload',
      browserFormUpload([['token', t.token], ['job_id', jobId]], blank),
    );
    assertFailure(none, 400, 'invalid_parameter');
    assert.deepEqual(none.body.parameters, ['url', 'file']);
  });

  test('a file name with quotes or a line break is shown back as picked', async () => {
    // fetch's FormData (as browsers and curl) sends `"` as %22, LF as %0A.
    const jobId = await newJob();
    const form = new FormData();
    form.append('token', t.token);
    form.append('job_id', String(jobId));
    form.append('file', new Blob([await t.tone(1)]), 'Say "Hi"\nnow %41.wav');
    const encoded = new Response(form);
    const made = await t.postMultipart('import/upload', {
      headers: { 'content-type': encoded.headers.get('content-type')! },
      body: Buffer.from(await encoded.arrayBuffer()),
    });
    assertUploaded(made);
    // The line break goes, as any control character in a name.
    assert.equal(made.body.meta.Filename, 'Say "Hi"now %41.wav');
    const listed = await t.phpPost('import/list', { job_id: jobId });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.tracks[0].file_name, 'Say "Hi"now %41.wav');
  });

  test('ids given as decimal text with leading zeros', async () => {
    const jobId = await newJob();
    const made = await t.phpPost('import/upload', {
      url: t.toneUrl(2),
      job_id: `000${jobId}`,
    });
    assertUploaded(made);
    const uploadId = made.body.upload_id;
    const changed = await t.phpGet('import/setMetadata', {
      upload_id: `0${uploadId}`,
      meta: { Title: 'Padded' },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.upload_id, uploadId);
    const checked = await t.phpGet('import/checkJob', { job_id: `0${jobId}` });
    assert.equal(checked.body.job_id, jobId);
    assert.equal(checked.body.q, 1);
  });
});

describe('text that is not UTF-8', () => {
  let uploadId: number;

  before(async () => {
    const made = await t.phpPost('import/upload', {
      url: t.toneUrl(1),
      job_id: await newJob(),
      meta: { Title: 'Kept' },
    });
    assertUploaded(made);
    uploadId = made.body.upload_id;
  });

  const title = async () =>
    (await t.fixture.stack.store.uploadById(uploadId))?.meta.Title;

  test('Latin-1 from a PHP form or query is refused, not stored as U+FFFD', async () => {
    // http_build_query of an ISO-8859-1 string: é is %E9.
    const form = await rawRequest(`${t.api('import/setMetadata')}?token=${t.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(`upload_id=${uploadId}&meta%5BTitle%5D=Caf%E9`),
    });
    assertFailure(form, 400, 'invalid_parameter');
    assert.deepEqual(form.body.parameters, ['meta[Title]']);

    const query = await rawRequest(
      `${t.api('import/setMetadata')}?token=${t.token}&upload_id=${uploadId}` +
        '&meta%5BTitle%5D=Caf%E9',
      {},
    );
    assertFailure(query, 400, 'invalid_parameter');
    assert.deepEqual(query.body.parameters, ['meta[Title]']);

    const json = await rawRequest(`${t.api('import/setMetadata')}?token=${t.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(`{"upload_id":${uploadId},"meta":{"Title":"Caf\xe9"}}`, 'latin1'),
    });
    assertFailure(json, 400, 'invalid_parameter');
    assert.equal(await title(), 'Kept');
  });

  test('a form that names its charset is read in it', async () => {
    const answer = await rawRequest(`${t.api('import/setMetadata')}?token=${t.token}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=ISO-8859-1',
      },
      body: Buffer.from(`upload_id=${uploadId}&meta%5BTitle%5D=Caf%E9+Noir`),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.meta.Title, 'Café Noir');
    assert.equal(await title(), 'Café Noir');
  });

  test('a multipart form is read in its charset; other bytes than UTF-8 are refused', async () => {
    const boundary = 'odd-forms-charset';
    const form = (...parts: Array<[string, Buffer | string]>) =>
      Buffer.concat([
        ...parts.map(([name, value]) =>
          Buffer.concat([
            Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`,
            ),
            Buffer.from(value),
            Buffer.from('\r\n'),
          ]),
        ),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
    const post = (body: Buffer) =>
      rawRequest(`${t.api('import/setMetadata')}?token=${t.token}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
    const before = await title();

    const latin1 = Buffer.from('Caf\xe9 Cr\xe8me', 'latin1');
    const id = String(uploadId);
    const refused = await post(form(['upload_id', id], ['meta[Title]', latin1]));
    assertFailure(refused, 400, 'invalid_parameter');
    assert.deepEqual(refused.body.parameters, ['meta[Title]']);
    assert.equal(await title(), before);

    // An HTML form on an ISO-8859-1 page with a hidden _charset_ input.
    const named = await post(
      form(['upload_id', id], ['meta[Title]', latin1], ['_charset_', 'ISO-8859-1']),
    );
    assert.equal(named.status, 200, JSON.stringify(named.body));
    assert.equal(named.body.meta.Title, 'Caf\u00e9 Cr\u00e8me');
    assert.equal(await title(), 'Caf\u00e9 Cr\u00e8me');

    // Chromium on such a page names windows-1252 and writes its quotes,
    // dashes and euro sign as 0x80-0x9F (read as controls, refused, before).
    const quoted = Buffer.from('\x93Caf\xe9\x94 \x96 5\x80', 'latin1');
    const browser = await post(
      form(['_charset_', 'windows-1252'], ['upload_id', id], ['meta[Title]', quoted]),
    );
    assert.equal(browser.status, 200, JSON.stringify(browser.body));
    assert.equal(await title(), '\u201cCaf\u00e9\u201d \u2013 5\u20ac');
  });
});

/** A job of its own, so a test's uploads meet no other test's bytes. */
async function newJob(): Promise<number> {
  const made = await t.phpPost('import/createJob', {});
  assert.equal(made.status, 200, JSON.stringify(made.body));
  return made.body.job_id;
}

describe('createJob', () => {
  test('answers {job_id} alone; parameters of its own are ignored', async () => {
    const answer = await t.phpPost('import/createJob', {
      name: 'Spring batch',
      email: 'ops@example.com',
      client_batch: 'b-7',
      callback: 'x',
    });
    assertAnswer(answer, { job_id: 'number' });
    const job = await t.fixture.stack.store.jobById(answer.body.job_id);
    assert.equal(job?.name, 'Spring batch');
    assert.equal(job?.email, 'ops@example.com');
  });

  test('takes oncomplete: the job is told there, as publish would', async () => {
    const hooks = await webhookReceiver(t.fixture.site.secret);
    try {
      const target = `${hooks.url}/done`;
      const made = await t.phpPost('import/createJob', { oncomplete: target });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const jobId = made.body.job_id;

      assertUploaded(await t.phpPost('import/upload', { url: t.toneUrl(1), job_id: jobId }));
      const published = await t.phpPost('import/publish', { job_id: jobId });
      assert.equal(published.status, 200, JSON.stringify(published.body));
      assert.equal(published.body.oncomplete, target);
      const [hook] = await hooks.waitFor(1);
      assert.equal(hook.verified, true);
      assert.equal(hook.body.type, 'job.completed');
      assert.equal(hook.body.job_id, jobId);
    } finally {
      await hooks.close();
    }
  });

  test('a bad oncomplete is refused, and no job is made', async () => {
    const first = await t.phpPost('import/createJob', {});
    const answer = await t.phpPost('import/createJob', { oncomplete: 'not an address' });
    assertFailure(answer, 400, 'invalid_address');
    const next = await t.phpPost('import/createJob', {});
    assert.equal(next.body.job_id, first.body.job_id + 1);
  });
});

