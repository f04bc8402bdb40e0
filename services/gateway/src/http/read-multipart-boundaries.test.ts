/** Multipart boundaries as clients write them, and as data holds them. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import {
  BOUNDARY,
  formUnder,
  formWithHeads,
  postBody,
  reading,
  serveReadParams,
  type LinePart,
} from './read-multipart-kit';

serveReadParams();

describe('multipart boundaries as clients send them', () => {
  const field = (name: string, value: string, line = '\r\n'): LinePart => [
    line,
    `Content-Disposition: form-data; name="${name}"`,
    value,
  ];

  test("an unquoted boundary holding '=' (as Java clients send it) is read", async () => {
    for (const boundary of ['===abc===', '----=_Part_0_1234.5678', 'a=b?c:d']) {
      const answer = await postBody(
        formUnder(boundary, field('meta[Title]', 'T'), field('meta[Album]', 'A')),
        `multipart/form-data; boundary=${boundary}; charset=utf-8`,
      );
      assert.equal(answer.status, 200, `${boundary}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body.meta, { Title: 'T', Album: 'A' });
    }
  });

  test('a Content-Type with no boundary that can be read is refused saying so', async () => {
    const answer = await postBody(
      formUnder(BOUNDARY, field('meta[Title]', 'T')),
      'multipart/form-data; boundary=a"b',
    );
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.error, /names no boundary that can be read: multipart/);
  });

  test('blanks after a boundary line (transport padding) are refused, not lost', async () => {
    // busboy drops the part after such a line: the last field was lost
    // with a success, one before another made an unexplained refusal.
    for (const parts of [
      [field('meta[Title]', 'T', ' \t\r\n'), field('meta[Album]', 'A')],
      [field('meta[Title]', 'T'), field('meta[Album]', 'A', ' \r\n')],
    ]) {
      const answer = await postBody(formUnder(BOUNDARY, ...parts));
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'invalid_parameter');
      assert.match(answer.body.error, /boundary line ends in blanks \(transport padding\)/);
    }
  });

  test('the boundary inside a part is refused, not the part after it lost', async () => {
    const answer = await postBody(
      formUnder(BOUNDARY, field('meta[Title]', `T\r\n--${BOUNDARY}x`), field('meta[Album]', 'A')),
    );
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.error, /boundary occurs inside a part/);
  });

  test('the closing boundary inside a part is refused, not the form cut there', async () => {
    // busboy ends the form at `--boundary--` whatever follows on its
    // line: the value was cut there and the fields after it lost.
    const cut = await postBody(
      formUnder(BOUNDARY, field('meta[Title]', `T\r\n--${BOUNDARY}--x`), field('meta[Album]', 'A')),
    );
    assert.equal(cut.status, 400, JSON.stringify(cut.body));
    assert.match(cut.body.error, /boundary occurs inside a part/);
    // Its own blanks (transport padding) and blank lines after it are as before.
    const ended = Buffer.concat([
      formUnder(BOUNDARY, field('meta[Title]', 'T')).subarray(0, -2),
      Buffer.from(' \t\r\n\r\n \r\n'),
    ]);
    const answer = await postBody(ended);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, { Title: 'T' });
  });

  test('a closing boundary line inside a file is refused, not the file cut there', async () => {
    // The closing line ended busboy's form: the file's first half was
    // taken with 200, its rest and the field after it lost.
    reading.onFile = async (file) => {
      file.resume();
      await once(file, 'end');
    };
    try {
      const half = 'a'.repeat(1000);
      const cut = await postBody(
        formWithHeads(
          ['Content-Disposition: form-data; name="file"; filename="f.wav"',
            `${half}\r\n--${BOUNDARY}--\r\n${half}`],
          ['Content-Disposition: form-data; name="meta[Title]"', 'T'],
        ),
      );
      assert.equal(cut.status, 400, JSON.stringify(cut.body));
      assert.equal(cut.body.code, 'invalid_parameter');
      assert.match(cut.body.error, /goes on after its closing boundary line/);
      // So is an epilogue, which RFC 2046 allows and no HTTP client sends.
      const epilogue = await postBody(
        Buffer.concat([formUnder(BOUNDARY, field('meta[Title]', 'T')), Buffer.from('the end')]),
      );
      assert.equal(epilogue.status, 400, JSON.stringify(epilogue.body));
      assert.match(epilogue.body.error, /goes on after its closing boundary line/);
    } finally {
      reading.onFile = undefined;
    }
  });

  test('a file ending in LF alone before a boundary is refused, not the field lost', async () => {
    // busboy read the boundary line and the field after it as the file's
    // data: 200, the file's bytes changed and meta[Title] lost.
    reading.onFile = async (file) => {
      file.resume();
      await once(file, 'end');
    };
    try {
      const body = Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.wav"` +
          `\r\n\r\nRIFF\n--${BOUNDARY}\r\n` +
          'Content-Disposition: form-data; name="meta[Title]"\r\n\r\nT\r\n' +
          `--${BOUNDARY}--\r\n`,
      );
      const answer = await postBody(body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(answer.body.error, /line breaks are not CRLF/);
    } finally {
      reading.onFile = undefined;
    }
  });
});
