import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import {
  addJson,
  addPair,
  emptyParams,
  id,
  list,
  PARAM_LIMITS,
} from './params';

test('the three meta encodings mean the same', () => {
  const form = emptyParams();
  addPair(form, 'meta[Title]', 'Song');
  addPair(form, 'meta[Custom: External ID]', 'X-1');

  const nested = emptyParams();
  addJson(nested, { meta: { Title: 'Song', 'Custom: External ID': 'X-1' } });

  const literal = emptyParams();
  addJson(literal, { 'meta[Title]': 'Song', 'meta[Custom: External ID]': 'X-1' });

  const expected = { Title: 'Song', 'Custom: External ID': 'X-1' };
  assert.deepEqual(form.meta, expected);
  assert.deepEqual(nested.meta, expected);
  assert.deepEqual(literal.meta, expected);
});

test('a JSON null meta value is a blank one, in both JSON forms', () => {
  const params = emptyParams();
  addJson(params, { meta: { Title: null }, 'meta[Album]': null, 'meta[Title]': '' });
  assert.deepEqual(params.meta, { Title: '', Album: '' });
  assert.equal(params.hasMeta, true);
});

test('lists come as commas, brackets, indexed brackets or arrays', () => {
  const a = emptyParams();
  addPair(a, 'formats', 'MP3, wav');
  const b = emptyParams();
  addPair(b, 'formats[]', 'mp3');
  addPair(b, 'formats[]', 'wav');
  const c = emptyParams();
  addJson(c, { formats: ['mp3', 'wav'] });
  const indexed = emptyParams();
  addPair(indexed, 'formats[0]', 'mp3');
  addPair(indexed, 'formats[1]', 'wav');
  for (const params of [a, b, c, indexed]) {
    assert.deepEqual(list(params, 'formats'), ['mp3', 'wav']);
  }
});

test('a list entry may be comma text; blank entries beside others go', () => {
  const indexed = emptyParams();
  addPair(indexed, 'formats[0]', 'mp3, WAV');
  addPair(indexed, 'formats[1]', '');
  const array = emptyParams();
  addJson(array, { formats: ['mp3,wav', ' '] });
  for (const params of [indexed, array]) {
    assert.deepEqual(list(params, 'formats'), ['mp3', 'wav']);
  }
  // Other parameters' entries are kept as they came.
  const other = emptyParams();
  addPair(other, 'tags[]', 'a,b');
  assert.deepEqual(other.lists.get('tags'), ['a,b']);
});

test('a list given two ways, or in an unknown bracket form, is refused', () => {
  const mixed = emptyParams();
  addPair(mixed, 'formats[]', 'aiff');
  addPair(mixed, 'formats', 'mp3');
  assert.throws(() => list(mixed, 'formats'), /both as formats\[\] and as text/);
  assert.throws(() => addPair(emptyParams(), 'formats[x]', 'aiff'), /formats\[x\]/);
  // Bracket keys of parameters we do not know stay allowed.
  addPair(emptyParams(), 'client[ref]', 'x');
});

test('a JSON object comes as the bracket keys a query string sends', () => {
  const nested = emptyParams();
  addJson(nested, { client: { ref: 'a', tags: ['x', 'y'], deep: { n: 1 } } });
  const form = emptyParams();
  addPair(form, 'client[ref]', 'a');
  addPair(form, 'client[tags][0]', 'x');
  addPair(form, 'client[tags][1]', 'y');
  addPair(form, 'client[deep][n]', '1');
  assert.deepEqual(nested, form);

  let deep: Record<string, unknown> = { v: 'x' };
  for (let i = 0; i < 9; i++) deep = { d: deep };
  assert.throws(() => addJson(emptyParams(), { deep }), /nested too deeply/);
});

test('ids must be positive integers', () => {
  const params = emptyParams();
  addJson(params, { job_id: 12, upload_id: '7', bad: '1e3', neg: '-1' });
  assert.equal(id(params, 'job_id'), 12);
  assert.equal(id(params, 'upload_id'), 7);
  assert.throws(() => id(params, 'bad'), /positive integer/);
  assert.throws(() => id(params, 'neg'), /positive integer/);
  assert.equal(id(params, 'missing'), undefined);
});

test('control characters in meta values are refused, but tab and line breaks', () => {
  assert.throws(() => addPair(emptyParams(), 'meta[Title]', 'a\0b'), /U\+0000/);
  assert.throws(() => addPair(emptyParams(), 'meta[Title]', 'a\x1bb'), /U\+001B/);
  assert.throws(() => addPair(emptyParams(), 'meta[Title]', 'a\x85b'), /U\+0085/);
  assert.throws(() => addJson(emptyParams(), { meta: { Mood: '\x9f' } }), /meta\[Mood\]/);
  const near = emptyParams();
  addPair(near, 'meta[Title]', '\xa0é~');
  assert.equal(near.meta.Title, '\xa0é~');
  const lyrics = emptyParams();
  addPair(lyrics, 'meta[Lyrics]', 'line one\r\n\tline two');
  assert.equal(lyrics.meta.Lyrics, 'line one\r\n\tline two');
});

test('meta values tags cannot hold as they are are refused by name', () => {
  const refused = (value: string, pattern: RegExp) =>
    assert.throws(
      () => addJson(emptyParams(), { meta: { Title: value } }),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.match(err.message, /meta\[Title\]/);
        assert.match(err.message, pattern);
        assert.deepEqual(err.details, { parameters: ['meta[Title]'] });
        return true;
      },
    );
  refused('A\uD800B', /unpaired surrogate/);
  refused('A\uDC00', /unpaired surrogate/);
  refused('\uFEFFTitle', /U\+FEFF/);
  refused('Title\uFEFF', /U\+FEFF/);
  const fine = emptyParams();
  addJson(fine, { meta: { Title: 'a\uFEFFb 😀', Artist: '\uD83D\uDE00' } });
  assert.deepEqual(fine.meta, { Title: 'a\uFEFFb 😀', Artist: '😀' });
});

test('hostile shapes are refused', () => {
  assert.throws(() => addJson(emptyParams(), [1, 2]), /object/);
  assert.throws(() => addJson(emptyParams(), { meta: ['x'] }), /object/);
  assert.throws(
    () => addJson(emptyParams(), { meta: { Title: { deep: 1 } } }),
    /text/,
  );
  const many = emptyParams();
  assert.throws(() => {
    for (let i = 0; i < 5000; i++) addPair(many, `meta[F${i}]`, 'x');
  }, /more than/);
});

test('a list parameter repeated without brackets is one list', () => {
  // Python requests, Go's url.Values: formats=mp3&formats=wav.
  const repeated = emptyParams();
  addPair(repeated, 'formats', 'mp3');
  addPair(repeated, 'formats', 'wav,aiff');
  addPair(repeated, 'formats', 'mp3');
  assert.deepEqual(list(repeated, 'formats'), ['mp3', 'wav', 'aiff', 'mp3']);

  const mixed = emptyParams();
  addPair(mixed, 'formats', 'mp3');
  addPair(mixed, 'formats', 'wav');
  addPair(mixed, 'formats[]', 'aiff');
  assert.throws(() => list(mixed, 'formats'), /both as formats\[\] and as text/);

  const one = emptyParams();
  addPair(one, 'format', 'mp3');
  assert.throws(() => addPair(one, 'format', 'wav'), /given twice/);
});

test('ids as decimal text may carry leading zeros', () => {
  const padded = emptyParams();
  addPair(padded, 'upload_id', '0042');
  assert.equal(id(padded, 'upload_id'), 42);
  for (const bad of ['0', '000', '4.0', '-4', '0x2a', '1e3']) {
    const params = emptyParams();
    addPair(params, 'upload_id', bad);
    assert.throws(() => id(params, 'upload_id'), /positive integer/, bad);
  }
});

test('one parameter given twice must agree with itself', () => {
  const same = emptyParams();
  addPair(same, 'token', 'abc');
  addPair(same, 'token', 'abc');
  assert.equal(same.values.get('token'), 'abc');

  const clash = emptyParams();
  addPair(clash, 'upload_id', '32');
  assert.throws(() => addPair(clash, 'upload_id', '36'), /given twice/);
});

test('meta over its limits names what to shorten in parameters', () => {
  const refusal = (fill: (p: ReturnType<typeof emptyParams>) => void) => {
    try {
      fill(emptyParams());
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return { code: err.code, parameters: err.details.parameters };
    }
    assert.fail('taken');
  };
  const long = 'x'.repeat(PARAM_LIMITS.metaValueBytes + 1);
  assert.deepEqual(refusal((p) => addPair(p, 'meta[ Lyrics ]', long)), {
    code: 'invalid_parameter',
    parameters: ['meta[Lyrics]'],
  });
  const many = (p: ReturnType<typeof emptyParams>) => {
    for (let i = 0; i <= PARAM_LIMITS.metaKeys; i++) {
      addPair(p, `meta[Custom: F${i}]`, 'x');
    }
  };
  assert.deepEqual(refusal(many), {
    code: 'invalid_parameter',
    parameters: ['meta'],
  });
});

test('a blank list counts as absent; a list of nothing does not', () => {
  const blank = emptyParams();
  addPair(blank, 'formats', '  ');
  assert.equal(list(blank, 'formats'), undefined);
  const commas = emptyParams();
  addPair(commas, 'formats', ' , ');
  assert.deepEqual(list(commas, 'formats'), []);
});

test('a meta field named __proto__ is a field, not a prototype', () => {
  const form = emptyParams();
  addPair(form, 'meta[__proto__]', 'x');
  const nested = emptyParams();
  addJson(nested, JSON.parse('{"meta":{"__proto__":"x"}}'));
  for (const params of [form, nested]) {
    assert.deepEqual(Object.keys(params.meta), ['__proto__']);
    assert.equal(Object.getPrototypeOf(params.meta), Object.prototype);
  }
});

test('a value that is no text names its parameter', () => {
  for (const body of [{ meta: { Title: { a: 'b' } } }, { formats: [['mp3']] }]) {
    assert.throws(
      () => addJson(emptyParams(), body),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        const name = 'meta' in body ? 'meta[Title]' : 'formats';
        assert.equal(err.message, `${name} must be text`);
        assert.deepEqual(err.details, { parameters: [name] });
        return true;
      },
    );
  }
});

test('a JSON whole number reads as its digits, as a query would send it', () => {
  const params = emptyParams();
  addJson(params, { show: 1e21, pg: 7, ratio: 1.5 });
  assert.equal(params.values.get('show'), '1000000000000000000000');
  assert.equal(params.values.get('pg'), '7');
  assert.equal(params.values.get('ratio'), '1.5');
});

test('a meta number that JSON cannot hold exactly is refused, not changed', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['meta[ISRC]', { meta: { ISRC: 12345678901234567890123 } }],
    ['meta[Catalog]', { meta: { Catalog: 9007199254740993 } }],
    ['meta[BPM]', { meta: { BPM: Number.POSITIVE_INFINITY } }],
    ['meta[Tempo]', { 'meta[Tempo]': -1e400 }],
  ];
  for (const [name, body] of cases) {
    assert.throws(
      () => addJson(emptyParams(), body),
      (err) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 'invalid_parameter');
        assert.match(err.message, /send it as a string$/);
        assert.deepEqual(err.details, { parameters: [name] });
        return true;
      },
      name,
    );
  }
  // Numbers that survive parsing are taken as their digits.
  const params = emptyParams();
  addJson(params, {
    meta: { BPM: 120, 'Track Number': 9007199254740991, Tempo: 92.5 },
  });
  assert.deepEqual(params.meta, {
    BPM: '120',
    'Track Number': '9007199254740991',
    Tempo: '92.5',
  });
});

test('a meta field given twice must agree with itself, in any encoding', () => {
  const same = emptyParams();
  addPair(same, 'meta[Title]', 'Song');
  addJson(same, { meta: { Title: 'Song' }, 'meta[ Title ]': 'Song' });
  assert.deepEqual(same.meta, { Title: 'Song' });

  const clashes: Array<(params: ReturnType<typeof emptyParams>) => void> = [
    (p) => {
      addPair(p, 'meta[Title]', 'a');
      addPair(p, 'meta[Title]', 'b');
    },
    (p) => {
      addPair(p, 'meta[Title]', 'query');
      addJson(p, { meta: { Title: 'body' } });
    },
    (p) => addJson(p, { 'meta[Title]': 'a', meta: { 'Title ': 'b' } }),
    // A blank value clears a field; with a value beside it, which is meant?
    (p) => addJson(p, { meta: { Title: '' }, 'meta[Title]': 'x' }),
  ];
  for (const clash of clashes) {
    assert.throws(
      () => clash(emptyParams()),
      (err) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 'invalid_parameter');
        assert.equal(err.message, 'meta[Title] is given twice with different values');
        assert.deepEqual(err.details, { parameters: ['meta[Title]'] });
        return true;
      },
    );
  }
});

test('a key that starts as meta but is no meta[Name] is refused by name', () => {
  const refusal = (fill: (p: ReturnType<typeof emptyParams>) => void) => {
    try {
      fill(emptyParams());
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return { message: err.message, parameters: err.details.parameters };
    }
    assert.fail('taken');
  };
  const asText = {
    message: 'meta[Title] must be text, not a list or an object ' +
      '(meta[Title][] was sent)',
    parameters: ['meta[Title]'],
  };
  // Query strings, forms and multipart fields all come through addPair.
  assert.deepEqual(refusal((p) => addPair(p, 'meta[Title][]', 'a')), asText);
  assert.deepEqual(refusal((p) => addJson(p, { 'meta[Title][]': 'a' })), asText);
  for (const fill of [
    (p: ReturnType<typeof emptyParams>) => addPair(p, 'meta[Title][0]', 'a'),
    (p: ReturnType<typeof emptyParams>) => addPair(p, 'meta[Title][x]', 'a'),
    (p: ReturnType<typeof emptyParams>) =>
      addJson(p, { 'meta[Title]': { x: 'a' } }),
    (p: ReturnType<typeof emptyParams>) => addJson(p, { 'meta[Title]': ['a'] }),
    (p: ReturnType<typeof emptyParams>) => addJson(p, { meta: { Title: ['a'] } }),
  ]) {
    const { message, parameters } = refusal(fill);
    assert.match(message, /^meta\[Title\] must be text/);
    assert.deepEqual(parameters, ['meta[Title]']);
  }

  for (const key of ['meta[Title]x', 'meta[Title', 'meta[]']) {
    const expected = {
      message: `${key} is no meta field: send one as meta[Name]=…`,
      parameters: [key],
    };
    assert.deepEqual(refusal((p) => addPair(p, key, 'y')), expected);
    assert.deepEqual(refusal((p) => addJson(p, { [key]: 'y' })), expected);
  }

  // A field name may hold brackets of its own.
  const bracketed = emptyParams();
  addPair(bracketed, 'meta[Custom: Mix [Radio]]', 'x');
  assert.deepEqual(bracketed.meta, { 'Custom: Mix [Radio]': 'x' });
});

test('every refusal names its parameters, none for the body as a whole', () => {
  const named = (fill: (p: ReturnType<typeof emptyParams>) => void) => {
    try {
      fill(emptyParams());
    } catch (err) {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'invalid_parameter');
      return err.details.parameters;
    }
    assert.fail('taken');
  };
  assert.deepEqual(named((p) => addJson(p, [1, 2])), []);
  assert.deepEqual(named((p) => addJson(p, 'text')), []);
  assert.deepEqual(named((p) => addJson(p, { meta: ['x'] })), ['meta']);
  let deep: Record<string, unknown> = { x: 'y' };
  for (let i = 0; i < 12; i++) deep = { d: deep };
  const [tooDeep] = named((p) => addJson(p, { client: deep })) as string[];
  assert.match(tooDeep, /^client\[d\]\[d\]/);
  assert.deepEqual(
    named((p) => {
      for (let i = 0; i <= PARAM_LIMITS.keys; i++) addPair(p, `k${i}`, 'x');
    }),
    [],
  );
  assert.deepEqual(named((p) => addPair(p, '__proto__', 'x')), ['__proto__']);
  const bad = emptyParams();
  addPair(bad, 'job_id', 'x');
  assert.deepEqual(named(() => id(bad, 'job_id')), ['job_id']);
});
