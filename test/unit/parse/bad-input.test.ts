/**
 * parse/ on hostile and odd bodies: repeated JSON keys keep every value (JSON.parse keeps only the
 * last), nesting past MAX_JSON_DEPTH is refused before JSON.parse could overflow the stack, NUL
 * characters are refused in every text format, a body plainly not of its declared type is
 * refused, and prototype-pollution keys are fields, never a prototype.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../../agent/parse/index.js';
import { loadMessageType } from '../../../agent/parse/protobuf.js';
import { REPEATED, parseKeepingDuplicates } from '../../../agent/parse/json-duplicates.js';
import { MAX_JSON_DEPTH, parseJsonText } from '../../../agent/parse/json.js';
import { escapedNul, keyColons, shapeOf } from '../../../agent/parse/json-scan.js';
import { body, multipart, records, refusal, root } from './support.js';

const ID = '110101199003074518';
const json = (text: string, rootExpr = '$') => records(body(text, 'application/json'), root(rootExpr));

describe('repeated JSON keys', () => {
  it.each([
    { what: 'the ID first', text: `{"note":"${ID}","note":"x"}`, want: [ID, 'x'] },
    { what: 'the ID last', text: `{"note":"x","note":"${ID}"}`, want: ['x', ID] },
    { what: 'three times', text: `{"note":1,"other":2,"note":"${ID}","note":null}`, want: [1, ID, null] },
  ])('keeps every value in order ($what)', ({ text, want }) => {
    const [record] = json(text) as Record<string, unknown>[];
    expect(record?.['note']).toEqual(want);
    expect(REPEATED.has(record?.['note'] as unknown[])).toBe(true);
  });

  it('in nested objects, arrays of records, NDJSON lines and a JSON multipart part', () => {
    expect(json(`{"shipments":[{"a":1},{"buyer":{"id":"x","id":"${ID}"}}]}`, '$.shipments[*]')).toEqual([{ a: 1 }, { buyer: { id: ['x', ID] } }]);
    expect(records(body(`{"a":1}\n{"p":"x","p":"${ID}"}\n`, 'application/x-ndjson'))).toEqual([{ a: 1 }, { p: ['x', ID] }]);
    const form = multipart('mp', [{ headers: ['Content-Disposition: form-data; name="f"; filename="a.json"', 'Content-Type: application/json'], content: `{"p":"${ID}","p":"x"}` }]);
    expect(records(body(form, 'multipart/form-data; boundary=mp'))).toEqual([{ p: [ID, 'x'] }]);
  });

  it('a repeated key whose value is an array: the arrays stay apart', () => {
    const [record] = json(`{"k":[1,2],"k":[3]}`) as Record<string, unknown>[];
    expect(record?.['k']).toEqual([[1, 2], [3]]);
  });

  it('refuses a repeated key on the record root path (which value holds the records would be a guess)', () => {
    const err = refusal(() => json(`{"shipments":[{"a":1}],"shipments":[{"b":"${ID}"}]}`, '$.shipments[*]'));
    expect(err.code).toBe('XB_PARSE_RECORD_ROOT');
    expect(err.message).toMatch(/key "shipments" appears 2 times/);
    expect(err.message).not.toContain(ID);
  });

  it('values read as JSON.parse reads them when no key repeats', () => {
    const text = String.raw`{"s":"a\"b\\","n":-1.5e3,"t":true,"f":false,"z":null,"e":{},"l":[],"u":"\u4e2d","k\"q":[{"x":[0]}]}`;
    expect(parseKeepingDuplicates(text, () => '')).toEqual(JSON.parse(text));
    expect(parseJsonText(text, () => '')).toEqual(JSON.parse(text));
  });

  it('`__proto__` repeated stays a field and pollutes nothing', () => {
    const [record] = json(`{"__proto__":{"polluted":1},"__proto__":"${ID}","constructor":{"prototype":{"p":1}}}`) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toEqual([{ polluted: 1 }, ID]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the scan behind the fast path', () => {
  it('bounds the keys written from above (an escaped quote before a colon adds one), whitespace or not', () => {
    expect(keyColons(String.raw`{"a:b":1,"c":{"d\":":[{"e":2}]}}`)).toBe(5);
    expect(keyColons(`{ "a" :1, "b"\n\t: {"t": "10:00:00"}, "c":[1,2] }`)).toBe(4);
    expect(keyColons(`{"a":1,"a":2,"b":[{"c":1}]}`)).toBe(4);
  });

  it('counts the keys kept and the deepest nesting of the parsed value', () => {
    expect(shapeOf(JSON.parse(String.raw`{"a:b":1,"c":{"d\":":[{"e":2}]}}`), 99)).toEqual({ keys: 4, depth: 4 });
    expect(shapeOf(JSON.parse(`{"a":1,"a":2,"b":[{"c":1}]}`), 99)).toEqual({ keys: 3, depth: 3 });
    expect(shapeOf(JSON.parse('['.repeat(1000) + ']'.repeat(1000)), 256).depth).toBe(257);
  });

  it('takes the slow parse only where the bound and the kept keys differ', () => {
    const spaced = `{"note" : "x", "note"\n:"${ID}"}`;
    expect(keyColons(spaced)).not.toBe(shapeOf(JSON.parse(spaced), 99).keys);
  });

  it('finds only a real \\u0000 escape', () => {
    expect(escapedNul(String.raw`{"a":"x\u0000"}`)).toBe(7);
    expect(escapedNul(String.raw`{"a":"C:\\u0000"}`)).toBe(-1);
  });
});

describe('nesting', () => {
  it(`refuses JSON deeper than ${MAX_JSON_DEPTH} levels, however deep, without a stack overflow`, () => {
    for (const text of ['['.repeat(200_000) + ']'.repeat(200_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000), '['.repeat(300) + ']'.repeat(300)]) {
      const err = refusal(() => json(text));
      expect(err.code).toBe('XB_PARSE_TOO_DEEP');
      expect(err.message).toMatch(/nests deeper than 256 levels/);
    }
  });

  it('parses nesting up to the limit (classify then applies its own per-record limit)', () => {
    const text = '{"a":'.repeat(MAX_JSON_DEPTH - 1) + '{}' + '}'.repeat(MAX_JSON_DEPTH - 1);
    expect(json(text)).toHaveLength(1);
  });
});

describe('NUL characters', () => {
  it.each([
    { type: 'application/json', text: `{"a":"${ID}\\u0000"}`, code: 'XB_PARSE_INVALID_JSON', says: /\\u0000 escape, a NUL character, at character 24/ },
    { type: 'application/json', text: `{"a":"x\u0000"}`, code: 'XB_PARSE_INVALID_JSON', says: /NUL character \(U\+0000\) at character 7/ },
    { type: 'application/x-ndjson', text: `{"a":1}\n{"a\\u0000":"${ID}"}`, code: 'XB_PARSE_INVALID_JSON', says: /line 2 is not valid JSON \(a \\u0000 escape/ },
    { type: 'text/csv', text: `a,b\n${ID}\u0000,2\n`, code: 'XB_PARSE_CSV_INVALID', says: /not valid CSV: it contains a NUL character \(U\+0000\) at character 22/ },
    { type: 'application/x-www-form-urlencoded', text: `id=${ID}%00`, code: 'XB_PARSE_FORM_INVALID', says: /a field contains a NUL character/ },
    { type: 'text/plain', text: `${ID}\u0000`, code: 'XB_PARSE_TEXT_INVALID', says: /contains a NUL character/ },
  ])('$type → $code', ({ type, text, code, says }) => {
    const err = refusal(() => records(body(text, type)));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(says);
    expect(err.message).not.toContain(ID);
  });
});

describe('a body that is not of its declared type', () => {
  it.each([
    { type: 'text/csv', text: `{"shipments":[{"id":"${ID}"}]}`, says: /declared text\/csv but is JSON/ },
    { type: 'text/tab-separated-values', text: `\ufeff[{"id":"${ID}"}]\n`, says: /is JSON/ },
    { type: 'application/x-www-form-urlencoded', text: `{"id":"${ID}"}`, says: /is JSON/ },
    { type: 'application/x-www-form-urlencoded', text: `id,phone\n${ID},1\n`, says: /has no name=value field/ },
  ])('$type holding $says → 415 XB_BODY_TYPE_MISMATCH', ({ type, text, says }) => {
    const err = refusal(() => records(body(text, type)));
    expect(err.code).toBe('XB_BODY_TYPE_MISMATCH');
    expect(err.status).toBe(415);
    expect(err.message).toMatch(says);
    expect(err.message).not.toContain(ID);
  });

  it('CSV that only starts like JSON is CSV', () => {
    expect(records(body('[id],name\n1,2\n', 'text/csv'))).toEqual([{ '[id]': '1', name: '2' }]);
  });
});

describe('prototype-pollution keys are fields in every format', () => {
  it.each([
    { type: 'text/csv', text: `__proto__,constructor,prototype\n${ID},x,y\n` },
    { type: 'application/x-www-form-urlencoded', text: `__proto__=${ID}&constructor=x&prototype=y` },
    { type: 'application/json', text: `{"__proto__":"${ID}","constructor":"x","prototype":"y"}` },
  ])('$type', ({ type, text }) => {
    const [record] = records(body(text, type)) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe(ID);
    expect(Object.keys(record ?? {})).toEqual(['__proto__', 'constructor', 'prototype']);
  });
});

describe('deeply nested protobuf', () => {
  it('a recursive message nested 10,000 deep is XB_PARSE_PROTOBUF_INVALID, not a stack overflow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xb-proto-'));
    try {
      writeFileSync(join(dir, 'node.proto'), 'syntax = "proto3";\npackage t;\nmessage Node { Node child = 1; string v = 2; }\n');
      const loaded = loadMessageType([join(dir, 'node.proto')], 't.Node');
      if (!('type' in loaded)) throw new Error('node.proto does not load');
      const varint = (n: number) => {
        const out: number[] = [];
        for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
        out.push(n);
        return Buffer.from(out);
      };
      let b = Buffer.from([0x12, 1, 0x41]);
      for (let i = 0; i < 10_000; i++) b = Buffer.concat([Buffer.from([0x0a]), varint(b.length), b]);
      const err = refusal(() => parse(body(b, 'application/x-protobuf'), { ...root(), protobuf: loaded.type }));
      expect(err.code).toBe('XB_PARSE_PROTOBUF_INVALID');
      expect(err.message).toMatch(/nesting depth/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
