import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { boundaryOf, readableContentType, SentParts } from './multipart-parts';

const BOUNDARY = 'parts-test';

function form(): Buffer {
  const part = (head: string, value: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; ${head}\r\n\r\n${value}\r\n`;
  return Buffer.from(
    'preamble\r\n' +
      part('name="a"', `x\r\n--${BOUNDARY.slice(0, 4)}\r\n\r\n`) +
      part('name="file"; filename="f.mp3"', `\r\n--${BOUNDARY}x`.slice(0, 12)) +
      part('name="b"\r\nContent-Type: text/plain; charset=ISO-8859-1', '\r\n') +
      `--${BOUNDARY}--\r\n \r\n`,
    'latin1',
  );
}

function partsOf(chunks: Buffer[]) {
  const sent = new SentParts(BOUNDARY, 1 << 20);
  for (const chunk of chunks) sent.push(chunk);
  const parts = [];
  for (let part = sent.next(); part; part = sent.next()) {
    parts.push({ ...part, bytes: part.bytes.toString('latin1') });
  }
  return parts;
}

test('parts are read alike whole or a byte at a time', () => {
  const body = form();
  const whole = partsOf([body]);
  assert.deepEqual(
    whole.map(({ name, file, charset, bytes }) => [name, file, charset, bytes]),
    [
      ['a', false, undefined, `x\r\n--${BOUNDARY.slice(0, 4)}\r\n\r\n`],
      ['file', true, undefined, ''],
      ['b', false, 'iso-8859-1', '\r\n'],
    ],
  );
  assert.deepEqual(partsOf([...body].map((byte) => Buffer.of(byte))), whole);
  assert.deepEqual(partsOf([body.subarray(0, 70), body.subarray(70)]), whole);
});

test('an unquoted boundary of boundary characters is read as if quoted', () => {
  const type = 'multipart/form-data';
  for (const [header, boundary] of [
    [`${type}; boundary====abc===`, '===abc==='],
    [`${type}; BOUNDARY=----=_Part_1.2; charset=utf-8`, '----=_Part_1.2'],
    // What busboy reads already is left as it is.
    [`${type}; boundary=abc`, 'abc'],
    [`${type}; boundary="a=b c"`, 'a=b c'],
    [`${type}; note="; boundary=x=y"; boundary=z`, 'z'],
    // Nothing a boundary holds: no boundary.
    [`${type}; boundary=a"b`, undefined],
    [`${type}; boundary=a=b c`, undefined],
    [`${type}; boundary=`, undefined],
  ] as const) {
    assert.equal(boundaryOf(readableContentType(header)), boundary, header);
  }
});

test('a head with no blank line before the next boundary is refused', () => {
  // busboy read on into the next head: the value sent as meta[Title]
  // came out as `token`.
  const body = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="token"\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="meta[Title]"\r\n\r\nT\r\n` +
      `--${BOUNDARY}--\r\n`,
  );
  for (const chunks of [[body], [...body].map((byte) => Buffer.of(byte))]) {
    assert.throws(() => partsOf(chunks), /header lines end with no blank line/);
  }
});

test('bytes after the closing line are refused, whole or a byte at a time', () => {
  const body = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n` +
      `--${BOUNDARY}--\r\n\r\nrest of a file`,
  );
  for (const chunks of [[body], [...body].map((byte) => Buffer.of(byte))]) {
    assert.throws(() => partsOf(chunks), /goes on after its closing boundary line/);
  }
  // The boundary again after the closing line: a form that went on.
  const again = Buffer.concat([
    body.subarray(0, body.indexOf('rest')),
    Buffer.from(`\r\n--${BOUNDARY}`),
  ]);
  assert.throws(() => partsOf([again]), /goes on after its closing boundary line/);
});

/** The refusal of a body with a line break of LF alone, whole or a byte at a time. */
function assertLfRefused(body: string): void {
  const bytes = Buffer.from(body);
  for (const chunks of [[bytes], [...bytes].map((byte) => Buffer.of(byte))]) {
    assert.throws(
      () => partsOf(chunks),
      (err: unknown) =>
        err instanceof ApiError &&
        err.status === 400 &&
        /^the multipart body's line breaks are not CRLF: /.test(err.message),
      JSON.stringify(body),
    );
  }
}

test('line breaks of LF alone are refused saying so, not as the boundary in a part', () => {
  const head = (name: string) => `Content-Disposition: form-data; name="${name}"`;
  const [a, b] = [head('a'), head('b')];
  const end = `--${BOUNDARY}--\r\n`;
  // Every line break LF alone.
  assertLfRefused(`--${BOUNDARY}\n${a}\n\nx\n--${BOUNDARY}--\n`);
  // The boundary line (after blanks too), a header line, the blank line.
  assertLfRefused(`--${BOUNDARY}\n${a}\r\n\r\nx\r\n${end}`);
  assertLfRefused(`--${BOUNDARY} \n${a}\r\n\r\nx\r\n${end}`);
  assertLfRefused(`--${BOUNDARY}\r\n${a}\nContent-Type: text/plain\r\n\r\nx\r\n${end}`);
  assertLfRefused(`--${BOUNDARY}\r\n${a}\n\nx\r\n${end}`);
  assertLfRefused(`--${BOUNDARY}\r\n${a}\r\n\nx\r\n${end}`);
  // The line break before a boundary: the next part was read as the value.
  assertLfRefused(`--${BOUNDARY}\r\n${a}\r\n\r\nx\n--${BOUNDARY}\r\n${b}\r\n\r\ny\r\n${end}`);
  // A second part written with LF alone.
  assertLfRefused(`--${BOUNDARY}\r\n${a}\r\n\r\nx\r\n--${BOUNDARY}\n${b}\n\ny\n--${BOUNDARY}--\n`);

  // LF alone in a value, or after the closing boundary, is as it was;
  // so is a CRLF split between chunks.
  const fine = Buffer.from(`--${BOUNDARY}\r\n${a}\r\n\r\nx\ny\r\n--${BOUNDARY}--\n`);
  const at = BOUNDARY.length + 3;
  for (const chunks of [[fine], [fine.subarray(0, at), fine.subarray(at)]]) {
    assert.deepEqual(partsOf(chunks).map(({ name, bytes }) => [name, bytes]), [['a', 'x\ny']]);
  }
});

test('a boundary after LF or CR alone is refused after a file and in a preamble too', () => {
  // busboy read the boundary line and the part after it as data: the
  // file took them in, or the preamble the whole form, with 200.
  const file = 'Content-Disposition: form-data; name="file"; filename="f.wav"';
  const b = 'Content-Disposition: form-data; name="b"';
  const rest = `--${BOUNDARY}\r\n${b}\r\n\r\ny\r\n--${BOUNDARY}--\r\n`;
  assertLfRefused(`--${BOUNDARY}\r\n${file}\r\n\r\ndata\n${rest}`);
  assertLfRefused(`--${BOUNDARY}\r\n${file}\r\n\r\ndata\r${rest}`);
  assertLfRefused(`--${BOUNDARY}\r\n${b}\r\n\r\nx\r${rest}`);
  assertLfRefused(`--${BOUNDARY}\r\n${file}\r\n\r\ndata\n--${BOUNDARY} \r\n${b}\r\n\r\ny`);
  assertLfRefused(`--${BOUNDARY}\r\n${file}\r\n\r\ndata\n--${BOUNDARY}--\r\n`);
  assertLfRefused(`preamble\n${rest}`);
  // The boundary in data with more on its line, or part of it after a
  // line break, is data: a short boundary can be in a file's bytes.
  const fine = Buffer.from(
    `--${BOUNDARY}\r\n${file}\r\n\r\nd\n--${BOUNDARY}x\r--${BOUNDARY}\u0000` +
      `\n--${BOUNDARY.slice(0, -1)}\r-\r\n${rest}`,
  );
  for (const chunks of [[fine], [...fine].map((byte) => Buffer.of(byte))]) {
    assert.deepEqual(partsOf(chunks).map(({ name }) => name), ['file', 'b']);
  }
});

test('a boundary right after the closing line is refused, whole or a byte at a time', () => {
  // A file's data that ends with the closing line, the form going on:
  // busboy ended the form there, the field after it lost, with 200.
  for (const padding of ['', ' \t']) {
    const body = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n` +
        `data\r\n--${BOUNDARY}--${padding}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="b"\r\n\r\nT\r\n` +
        `--${BOUNDARY}--\r\n`,
    );
    for (const chunks of [[body], [...body].map((byte) => Buffer.of(byte))]) {
      assert.throws(() => partsOf(chunks), /goes on after its closing boundary line/);
    }
  }
});
