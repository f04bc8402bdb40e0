/**
 * End to end: an integration written for the SourceAudio Import API works
 * unchanged (SPEC §1–§2). Calls go over HTTP as PHP (http_build_query,
 * curl with CURLFile) and Python's requests send them: the token in the
 * query string of a POST, brackets for meta and lists, blank values, a
 * trailing slash. Every answer is checked field by field against SPEC's
 * shapes, types included. Odd forms: sourceaudio-odd-forms.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertAnswer,
  assertFailure,
  assertMetaIsText,
  assertShape,
  assertUploaded,
  phpCurlForm,
  pythonRequestsUpload,
  rawRequest,
  startLegacyFixture,
  UPLOAD_ANSWER,
  type LegacyFixture,
} from './legacy-clients';

let t: LegacyFixture;

before(async () => {
  t = await startLegacyFixture(6);
});

after(() => t?.fixture.close());

describe('a SourceAudio integration, call by call', () => {
  const ids: Record<string, number> = {};

  test('upload by url: a PHP form POST with meta[...] and formats[0]', async () => {
    const answer = await t.phpPost('import/upload', {
      url: t.toneUrl(1),
      formats: ['wav', 'mp3'],
      meta: { Title: 'Blue Hour', 'Custom: External ID': 'SA 1', BPM: 120 },
      autopublish: false,
      client_ref: 'ours-42',
    });
    assertUploaded(answer);
    assert.deepEqual(answer.body.formats, ['wav', 'mp3']);
    assert.deepEqual(answer.body.sources, ['wav']);
    assert.equal(answer.body.meta.Title, 'Blue Hour');
    assert.equal(answer.body.meta['Custom: External ID'], 'SA 1');
    assert.equal(answer.body.meta.BPM, '120');
    assert.equal(answer.body.meta.Filename, 'tone-1.wav');
    ids.first = answer.body.upload_id;
  });

  test('upload a file as PHP curl sends it (Expect: 100-continue)', async () => {
    const { headers, body } = phpCurlForm(
      [
        ['token', t.token],
        ['meta[Title]', 'Low Tide'],
        ['formats[0]', 'mp3'],
        ['formats[1]', 'aiff'],
      ],
      { name: 'file', filename: 'Low Tide.wav', bytes: await t.tone(2) },
    );
    const answer = await t.postMultipart('import/upload', { headers, body });
    assertUploaded(answer);
    assert.deepEqual(answer.body.formats, ['mp3', 'aiff']);
    assert.equal(answer.body.meta.Filename, 'Low Tide.wav');
    ids.second = answer.body.upload_id;
  });

  test('upload a file as Python requests sends it', async () => {
    const { headers, body } = pythonRequestsUpload(
      { token: t.token, 'meta[Artist]': 'Zoë', formats: 'mp3,flac' },
      { name: 'file', filename: 'Café Noir.wav', bytes: await t.tone(3) },
    );
    const answer = await t.postMultipart('import/upload', { headers, body });
    assertUploaded(answer);
    assert.deepEqual(answer.body.formats, ['mp3', 'flac']);
    assert.equal(answer.body.meta.Filename, 'Café Noir.wav');
    assert.equal(answer.body.meta.Artist, 'Zoë');
    ids.third = answer.body.upload_id;
  });

  test('setMetadata by GET: brackets, a blank clears a field', async () => {
    const answer = await t.phpGet('import/setMetadata', {
      upload_id: ids.first,
      meta: { Album: 'Tides', BPM: '', 'Writer 1 First Name': 'Ann' },
    });
    assertAnswer(answer, {
      result: 'string',
      upload_id: 'number',
      meta: 'object',
    });
    assert.equal(answer.body.result, 'success');
    assert.equal(answer.body.upload_id, ids.first);
    assert.equal(answer.body.meta.Album, 'Tides');
    assert.equal(answer.body.meta['Writer 1 First Name'], 'Ann');
    assert.equal('BPM' in answer.body.meta, false);
    assertMetaIsText(answer.body.meta);
  });

  test('setFormats: formats[] keys, any case, trailing slash', async () => {
    const answer = await rawRequest(`${t.api('import/setFormats/')}?token=${t.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(
        `upload_id=${ids.first}&formats%5B%5D=MP3&formats%5B%5D=wav&formats%5B%5D=aiff`,
      ),
    });
    assertAnswer(answer, { result: 'string', track: 'object' });
    assert.equal(answer.body.result, 'success');
    assertShape(answer.body.track, { ...UPLOAD_ANSWER, added: 'string[]' });
    assert.equal(answer.body.track.upload_id, ids.first);
    assert.deepEqual(answer.body.track.formats, ['mp3', 'wav', 'aiff']);
    assert.deepEqual(answer.body.track.added, ['mp3', 'aiff']);
  });

  test('getAvailableFields: SPEC\'s fieldset and the site\'s custom fields', async () => {
    const answer = await t.phpGet('import/getAvailableFields', {});
    assertAnswer(answer, { fields: 'string[]', custom_fields: 'string[]' });
    for (const name of ['Title', 'Artist', 'ISRC', 'Track Number', 'Filename']) {
      assert.ok(answer.body.fields.includes(name), name);
    }
    assert.deepEqual(answer.body.custom_fields, ['Custom: External ID']);
  });

  test('checkJob by GET: all four counters, as numbers', async () => {
    const answer = await t.phpGet('import/checkJob', {});
    assert.equal(answer.status, 200);
    assertShape(
      answer.body,
      { job_id: 'number', state: 'string', q: 'number', i: 'number', d: 'number', e: 'number' },
      ['deliveries'],
    );
    assert.equal(answer.body.state, 'open');
    assert.deepEqual(
      [answer.body.q, answer.body.i, answer.body.d, answer.body.e],
      [3, 0, 0, 0],
    );
    ids.job = answer.body.job_id;
  });

  test('list before publishing: uploads in order, no track ids yet', async () => {
    const answer = await t.phpGet('import/list', { job_id: ids.job });
    assertAnswer(answer, { job_id: 'number', state: 'string', tracks: 'array' });
    assert.deepEqual(
      answer.body.tracks.map((t: any) => t.upload_id),
      [ids.first, ids.second, ids.third],
    );
    for (const row of answer.body.tracks) {
      assertShape(
        row,
        { upload_id: 'number', track_id: 'number|null', status: 'string', formats: 'string[]' },
        // A waiting upload's (README, the list row): for the CLI's pairing check.
        ['file_name', 'source_seconds'],
      );
      assert.equal(row.track_id, null);
    }
  });

  test('delete one upload as PHP curl posts an array: {result, deleted}', async () => {
    const extra = await t.phpPost('import/upload', { url: t.toneUrl(4) });
    assertUploaded(extra);
    // PHP's curl with an array: multipart, even with no file.
    const answer = await t.postMultipart(
      'import/delete',
      phpCurlForm([
        ['token', t.token],
        ['upload_id', String(extra.body.upload_id)],
      ]),
    );
    assertAnswer(answer, { result: 'string', deleted: 'number' });
    assert.deepEqual(answer.body, { result: 'success', deleted: 1 });
  });

  test('a cut file is taken, to error in the pipeline', async () => {
    // Its header declares 1.1 s; 0.1 s of it is there.
    const cut = (await t.tone(1)).subarray(0, 20_000);
    await writeFile(path.join(t.fixture.dir, 'cut.wav'), cut);
    const answer = await t.phpPost('import/upload', {
      url: `${t.fixture.files.url}/cut.wav`,
    });
    assertUploaded(answer);
    ids.cut = answer.body.upload_id;
  });

  test('publish: SPEC\'s answer, then the job runs to complete', async () => {
    const answer = await t.phpPost('import/publish', { job_id: ids.job });
    assertAnswer(answer, {
      result: 'string',
      job_id: 'number',
      queued: 'number',
      oncomplete: 'string|null',
    });
    assert.equal(answer.body.result, 'success');
    assert.equal(answer.body.queued, 4);
    const done = await t.fixture.stack.waitForJob(t.token, ids.job);
    assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 3, 1]);

    const closed = await t.phpPost('import/upload', {
      url: t.toneUrl(5),
      job_id: ids.job,
    });
    assertFailure(closed, 409, 'job_closed');
  });

  test('list and getById once published: track ids as numbers', async () => {
    const listed = await t.phpGet('import/list', { job_id: ids.job });
    assert.equal(listed.body.state, 'complete');
    const rows = listed.body.tracks;
    assert.deepEqual(
      rows.map((row: any) => row.upload_id),
      [ids.first, ids.second, ids.third, ids.cut],
    );
    for (const row of rows.slice(0, 3)) {
      assertShape(
        row,
        { upload_id: 'number', track_id: 'number', status: 'string', formats: 'string[]' },
        ['renditions'],
      );
      assert.equal(row.status, 'published');
    }
    const errored = rows[3];
    assertShape(
      errored,
      {
        upload_id: 'number',
        track_id: 'number|null',
        status: 'string',
        formats: 'string[]',
        error: 'string',
      },
      // README, the list row: the name of an errored upload's file.
      ['error_code', 'file_name'],
    );
    assert.equal(errored.status, 'error');
    assert.equal(errored.track_id, null);
    assert.match(errored.error, /truncated/);
    const first = rows[0];
    ids.track = first.track_id;

    const got = await t.phpGet('tracks/getById', { track_id: ids.track });
    assertAnswer(got, { track: 'object' });
    assert.equal(got.body.track.track_id, ids.track);
    assert.equal(got.body.track.upload_id, first.upload_id);
  });

  test('download: the mp3 by default, its type and length, ranges', async () => {
    const whole = await t.phpGet('tracks/download', { track_id: ids.track });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'audio/mpeg');
    assert.equal(Number(whole.headers['content-length']), whole.bytes.length);

    const part = await rawRequest(
      `${t.api('tracks/download')}?token=${t.token}&track_id=${ids.track}&format=WAV`,
      { headers: { range: 'bytes=0-11' } },
    );
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-type'], 'audio/wav');
    assert.equal(part.bytes.subarray(0, 4).toString(), 'RIFF');
    assert.equal(part.bytes.length, 12);
  });

  test('a track update answers {result: uploaded, update_to, update_id}', async () => {
    const answer = await t.phpPost('import/upload', {
      url: t.toneUrl(6),
      track_id: ids.track,
    });
    assertAnswer(answer, {
      result: 'string',
      update_to: 'number',
      update_id: 'number',
    });
    assert.equal(answer.body.result, 'uploaded');
    assert.equal(answer.body.update_to, ids.track);

    const dropped = await t.phpPost('import/delete', {
      update_id: answer.body.update_id,
    });
    assert.deepEqual(dropped.body, { result: 'success', deleted: 1 });
  });
});

describe('failures as SPEC §1 has them', () => {
  test('no t.token, a wrong one: 401 with error and code', async () => {
    assertFailure(await rawRequest(t.api('import/checkJob'), {}), 401, 'unauthorized');
    assertFailure(
      await rawRequest(`${t.api('import/checkJob')}?token=nope`, {}),
      401,
      'unauthorized',
    );
  });

  test('another site\'s ids answer 404, never data', async () => {
    const other = await t.fixture.stack.createSite();
    const answer = await rawRequest(
      `${t.api('import/checkJob')}?token=${other.token}&job_id=1`,
      {},
    );
    assertFailure(answer, 404, 'not_found');
  });

  test('an unknown meta field names itself and changes nothing', async () => {
    const made = await t.phpPost('import/upload', { url: t.toneUrl(4) });
    assertUploaded(made);
    const answer = await t.phpPost('import/setMetadata', {
      upload_id: made.body.upload_id,
      meta: { Title: 'Kept out', Colour: 'red' },
    });
    assertFailure(answer, 400, 'unknown_fields');
    assert.deepEqual(answer.body.fields, ['Colour']);
    const upload = await t.fixture.stack.store.uploadById(made.body.upload_id);
    assert.notEqual(upload?.meta.Title, 'Kept out');
  });
});
