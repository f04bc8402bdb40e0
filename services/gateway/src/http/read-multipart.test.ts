import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { describe, test } from 'node:test';
import { jsonAnswer } from '@ingest/testkit';
import {
  BOUNDARY,
  formWithHeads,
  latin1,
  partBytes,
  postBody,
  postForm,
  reading,
  serveReadParams,
  serverUrl,
  type Part,
} from './read-multipart-kit';

serveReadParams();

describe('multipart field text', () => {
  test('bytes that are not UTF-8 are refused, naming the field', async () => {
    for (const parts of [
      [['meta[Title]', latin1('Caf\xe9')]],
      [['token', 'x'], ['meta[Title]', latin1('Caf\xe9'), 'Content-Type: text/plain']],
      // A part that says UTF-8 and is not.
      [['meta[Title]', latin1('Caf\xe9'), 'Content-Type: text/plain; charset=UTF-8']],
    ] as Part[][]) {
      const answer = await postForm(...parts);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'invalid_parameter');
      assert.deepEqual(answer.body.parameters, ['meta[Title]']);
      assert.match(answer.body.error, /^meta\[Title\] is not utf-8 text: send text as UTF-8/);
    }
  });

  test("a field's name as fetch's FormData sends it reads as the name given", async () => {
    // Its `"` goes as %22 in the part head, as in a file name.
    const form = new FormData();
    form.append('meta[Say "Hi"]', 'yes');
    form.append('meta[100%]', 'kept');
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type') ?? undefined;
    const answer = await postBody(Buffer.from(await encoded.arrayBuffer()), type);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, { 'Say "Hi"': 'yes', '100%': 'kept' });
  });

  test('a charset the part names is honoured', async () => {
    const answer = await postForm(
      ['meta[Title]', latin1('Caf\xe9'), 'Content-Type: text/plain; charset=ISO-8859-1'],
      ['meta[Album]', 'Caf\u00e9 Noir', 'Content-Type: text/plain; charset=utf-8'],
      ['meta[Artist]', 'Ren\u00e9'],
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, {
      Title: 'Caf\u00e9',
      Album: 'Caf\u00e9 Noir',
      Artist: 'Ren\u00e9',
    });
  });

  test("an HTML form's _charset_ counts for its fields, before or after it", async () => {
    const answer = await postForm(
      ['meta[Title]', latin1('Caf\xe9 cr\xe8me')],
      ['_charset_', 'windows-1252'],
      ['meta[Album]', latin1('D\xe9j\xe0')],
      ['meta[Artist]', 'Ren\u00e9', 'Content-Type: text/plain; charset=utf-8'],
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, {
      Title: 'Caf\u00e9 cr\u00e8me',
      Album: 'D\u00e9j\u00e0',
      Artist: 'Ren\u00e9',
    });
  });

  test('windows-1252 is read as browsers write it: quotes, dashes, euro', async () => {
    // What Chromium sends from an ISO-8859-1 page: Node 20's own decoder
    // read 0x80-0x9F as control characters, refused in meta.
    const answer = await postForm(
      ['_charset_', 'windows-1252'],
      ['meta[Title]', latin1('\x93Caf\xe9\x94 \x96 5\x80')],
      [
        'meta[Album]',
        latin1('\x85and \x91so\x92 on'),
        'Content-Type: text/plain; charset=ISO-8859-1',
      ],
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, {
      Title: '\u201cCaf\u00e9\u201d \u2013 5\u20ac',
      Album: '\u2026and \u2018so\u2019 on',
    });
  });

  test('a charset the gateway does not know answers 415', async () => {
    const answer = await postForm(['meta[Title]', 'x', 'Content-Type: text/plain; charset=x-nope']);
    assert.equal(answer.status, 415, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'unsupported_media_type');
  });
});

test('the pace deadline covers the parts before and after the file together', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  let fileEnded!: () => void;
  const ended = new Promise<void>((resolve) => (fileEnded = resolve));
  reading.pace = { timeoutMs: 1_000, windowMs: 600_000, minBytes: 0 };
  reading.onFile = async (file) => {
    file.resume();
    await once(file, 'end');
    fileEnded();
  };
  const started = new Promise<void>((resolve) => (reading.onBody = resolve));
  try {
    const req = http.request(serverUrl(), {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    });
    const answer = jsonAnswer(req);
    req.write(partBytes(['token', 'x']));
    await started;
    // Six tenths of the deadline before the file…
    t.mock.timers.tick(600);
    req.write(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
        `filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\nbytes\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n`,
    );
    await ended;
    // …and six after it: past the deadline in all, not each time.
    t.mock.timers.tick(600);
    req.end(`late\r\n--${BOUNDARY}--\r\n`);
    const { status, body } = await answer;
    assert.equal(status, 408, JSON.stringify(body));
    assert.equal(body.code, 'request_timeout');
    assert.equal(body.error, 'the request body did not arrive within 1 s');
  } finally {
    reading.pace = undefined;
    reading.onFile = undefined;
    reading.onBody = undefined;
  }
});

describe('multipart parts, as busboy reads them', () => {
  test('a Content-Disposition is read as busboy reads it', async () => {
    const answer = await postBody(
      formWithHeads(
        // An empty file name is no file, for busboy: a field.
        ['Content-Disposition: form-data; name="meta[Album]"; filename=""', 'A'],
        // A quoted parameter holding "; name=".
        ['Content-Disposition: form-data; x="; name=other"; name="meta[Title]"', 'T'],
        // A Content-Type busboy cannot read is no octet-stream.
        [
          'Content-Disposition: form-data; name="meta[Artist]"\r\n' +
            'Content-Type: application/octet-stream; charset',
          'R',
        ],
      ),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, { Album: 'A', Title: 'T', Artist: 'R' });
  });

  test("the request's boundary is the one busboy reads", async () => {
    const answer = await postBody(
      formWithHeads(['Content-Disposition: form-data; name="meta[Title]"', 'T']),
      `multipart/form-data; note="; boundary=other"; boundary=${BOUNDARY}`,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, { Title: 'T' });
  });

  test('a part busboy would skip unread is refused, saying why', async () => {
    for (const [head, error] of [
      // busboy skips these parts, losing the field without a word.
      ['form-data; name="token";', /Content-Disposition cannot be read: form-data; name="token";$/],
      ['form-data; name=meta[Title]', /Content-Disposition cannot be read/],
      ['form-data; name = "token"', /Content-Disposition cannot be read/],
      ['form-data; name=""', /^a multipart field has no name$/],
    ] as const) {
      const answer = await postBody(
        formWithHeads(
          [`Content-Disposition: ${head}`, 'x'],
          ['Content-Disposition: form-data; name="a"', 'b'],
        ),
      );
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'invalid_parameter');
      assert.match(answer.body.error, error);
    }
  });

  test('a part that is not form-data is refused, not skipped', async () => {
    // The boundary inside a file's data, then header lines: busboy took
    // the rest of the file for a part to skip, the file cut short.
    for (const head of ['X-Note: y', 'Content-Disposition: attachment; name="a"']) {
      const value = `T\r\n--${BOUNDARY}\r\n${head}\r\n\r\nrest`;
      const answer = await postBody(
        formWithHeads(
          ['Content-Disposition: form-data; name="meta[Title]"', value],
          ['Content-Disposition: form-data; name="meta[Album]"', 'A'],
        ),
      );
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(answer.body.error, /a multipart part is not form-data \(RFC 7578/);
    }
  });
});

test("a body's fields together are held to 1 MiB, as a JSON body", async () => {
  // 500 fields of 1 MiB each were read (and held) before any token.
  const half = 'x'.repeat(600 * 1024);
  const answer = await postForm(['a', half], ['b', half]);
  assert.equal(answer.status, 413, JSON.stringify(answer.body).slice(0, 200));
  assert.equal(answer.body.code, 'payload_too_large');
  assert.match(answer.body.error, /multipart fields together exceed 1048576 bytes/);
  const fits = await postForm(['a', half], ['b', 'x'.repeat(400 * 1024)]);
  assert.equal(fits.status, 200, JSON.stringify(fits.body).slice(0, 200));
});

describe('the file name of a multipart file', () => {
  /** Posts `body`; answers the name its file part is read with. */
  async function nameRead(body: Buffer, type?: string) {
    let name: string | undefined;
    reading.onFile = async (file, info) => {
      name = info.filename;
      file.resume();
      await once(file, 'end');
    };
    try {
      return { ...(await postBody(body, type)), name };
    } finally {
      reading.onFile = undefined;
    }
  }

  /** Posts `fields` and then a file named by `disposition`; answers the name read. */
  function fileNamed(disposition: string, ...fields: Array<[string, string]>) {
    return nameRead(
      formWithHeads(
        ...fields.map(([key, value]): [string, string] => [
          `Content-Disposition: form-data; name="${key}"`,
          value,
        ]),
        [`Content-Disposition: form-data; name="file"; ${disposition}`, 'bytes'],
      ),
    );
  }

  test("is read in the charset the form's _charset_ names, as its fields", async () => {
    // formWithHeads sends latin1: \xe9 is one byte, what a Latin-1 page sends.
    const answer = await fileNamed('filename="album/Caf\xe9 \x93o\x94.mp3"', [
      '_charset_',
      'windows-1252',
    ]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.name, 'Caf\u00e9 \u201co\u201d.mp3');
  });

  test('without _charset_, a name that is not UTF-8 is read as windows-1252', async () => {
    const answer = await fileNamed('filename="Caf\xe9 \x80.mp3"');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.name, 'Caf\u00e9 \u20ac.mp3');
  });

  test('bytes not of the charset the form names are refused naming the file', async () => {
    const answer = await fileNamed('filename="Caf\xe9.mp3"', ['_charset_', 'utf-8']);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.parameters, ['file']);
    assert.match(answer.body.error, /file name is not utf-8 text: send it as UTF-8 or name/);
  });

  test('UTF-8 names and filename* read as before', async () => {
    const utf8 = Buffer.from('Caf\u00e9.mp3').toString('latin1');
    assert.equal((await fileNamed(`filename="${utf8}"`)).name, 'Caf\u00e9.mp3');
    const starred = await fileNamed(`filename="x.mp3"; filename*=UTF-8''Caf%C3%A9.mp3`, [
      '_charset_',
      'windows-1252',
    ]);
    assert.equal(starred.name, 'Caf\u00e9.mp3');
  });

  test('the escapes of a form encoder for ", CR and LF are read back, no other', async () => {
    const answer = await fileNamed('filename="Say %22Hi%22%0D%0a%41 100%25%.wav"');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.name, 'Say "Hi"\r\n%41 100%25%.wav');
    // Also in a name read as windows-1252, and in its path's last segment.
    const latin = await fileNamed('filename="dir/Caf\xe9 %22Noir%22.mp3"');
    assert.equal(latin.name, 'Caf\u00e9 "Noir".mp3');
    // A filename* has escapes of its own (RFC 8187): all of them read.
    const starred = await fileNamed(`filename="x.mp3"; filename*=UTF-8''a%22%41.mp3`);
    assert.equal(starred.name, 'a"A.mp3');
  });

  test("a name as fetch's FormData sends it reads as the name given", async () => {
    const form = new FormData();
    form.append('file', new Blob(['bytes']), 'Say "Hi"\r\nagain 100%22 sure.wav');
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type') ?? undefined;
    const answer = await nameRead(Buffer.from(await encoded.arrayBuffer()), type);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    // A `%22` the name held itself reads as `"`: FormData sent it as is.
    assert.equal(answer.name, 'Say "Hi"\r\nagain 100" sure.wav');
  });
});
