/**
 * Property tests of parse/ (fast-check, bounded runs):
 * - round trips: records generated, serialized as JSON, NDJSON, CSV and a URL-encoded form, parsed
 *   back equal (strings without NUL, which every text format refuses, and well-formed Unicode,
 *   which UTF-8 can carry);
 * - the duplicate-keeping JSON reader reads any JSON value as JSON.parse does, and with a key
 *   repeated it keeps every value, in order;
 * - arbitrary bytes (and mutations of valid bodies), as every inspected type and coding, never
 *   throw anything but an XbError.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XbError } from '../../../agent/errors.js';
import { parse } from '../../../agent/parse/index.js';
import { parseKeepingDuplicates } from '../../../agent/parse/json-duplicates.js';
import { parseJsonText } from '../../../agent/parse/json.js';
import { body, records, root } from './support.js';

const RUNS = { numRuns: 200 };
/** Text any format can carry: well-formed, no NUL, no leading byte-order mark. */
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0') && !s.startsWith('\ufeff'));
const key = text.filter((s) => s !== '');
const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
const record = fc.dictionary(key, value, { maxKeys: 6 });

describe('round trips (property)', () => {
  it('JSON: an array of records', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (rs) => {
        expect(records(body(JSON.stringify(rs), 'application/json'))).toEqual(JSON.parse(JSON.stringify(rs)));
      }),
      RUNS,
    );
  });

  it('NDJSON: one record a line', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (rs, eol) => {
        expect(records(body(rs.map((r) => JSON.stringify(r)).join(eol), 'application/x-ndjson'))).toEqual(JSON.parse(JSON.stringify(rs)));
      }),
      RUNS,
    );
  });

  it('CSV and TSV: rows keyed by the header, every field quoted as RFC 4180 says', () => {
    const table = fc.uniqueArray(key, { minLength: 1, maxLength: 5 }).chain((header) =>
      fc.record({ header: fc.constant(header), rows: fc.array(fc.array(text, { minLength: header.length, maxLength: header.length }), { maxLength: 6 }) }),
    );
    fc.assert(
      fc.property(table, fc.constantFrom(['text/csv', ','], ['text/tab-separated-values', '\t']), fc.constantFrom('\n', '\r\n'), ({ header, rows }, [type, sep], eol) => {
        const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
        const csv = [header, ...rows].map((r) => r.map(quote).join(sep)).join(eol) + eol;
        const want = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
        expect(records(body(csv, type as string))).toEqual(want);
      }),
      RUNS,
    );
  });

  it('a URL-encoded form: one record, a repeated name an array of its values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, text), { minLength: 1, maxLength: 8 }), (pairs) => {
        const want: Record<string, unknown> = {};
        for (const [k, v] of pairs) {
          const prev = Object.getOwnPropertyDescriptor(want, k)?.value as unknown;
          const next = prev === undefined && !Object.prototype.hasOwnProperty.call(want, k) ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
          Object.defineProperty(want, k, { value: next, enumerable: true, writable: true, configurable: true });
        }
        const form = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        expect(records(body(form, 'application/x-www-form-urlencoded'))).toEqual([want]);
      }),
      RUNS,
    );
  });
});

describe('JSON with repeated keys (property)', () => {
  it('reads any JSON value as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const json = JSON.stringify(v);
        expect(parseKeepingDuplicates(json, () => '')).toEqual(JSON.parse(json));
      }),
      RUNS,
    );
  });

  it('a key written several times holds every value, in order, wherever the object sits', () => {
    fc.assert(
      fc.property(key, fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 2, maxLength: 4 }), fc.nat(3), (k, values, depth) => {
        const obj = `{${values.map((v) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
        const json = '{"x":['.repeat(depth) + obj + ']}'.repeat(depth);
        let got = parseJsonText(json, () => '') as any;
        for (let i = 0; i < depth; i++) got = got.x[0];
        expect(Object.getOwnPropertyDescriptor(got, k)?.value).toEqual(JSON.parse(JSON.stringify(values)));
      }),
      RUNS,
    );
  });
});

describe('arbitrary bytes never throw anything but an XbError (property)', () => {
  const TYPES = [
    'application/json',
    'application/x-ndjson',
    'text/csv',
    'text/tab-separated-values',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=b',
    'text/plain',
    'text/csv; charset=gbk',
    'application/json; charset=gb18030',
    'application/x-protobuf',
    'image/png',
  ];
  const onlyXbErrors = (bytes: Uint8Array, type: string, coding?: string) => {
    try {
      parse(body(Buffer.from(bytes), type, coding), root());
    } catch (err) {
      if (!(err instanceof XbError)) throw err;
    }
  };

  it('random bytes, any type, any coding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...TYPES), fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'gzip, br', 'zstd'), (bytes, type, coding) => {
        onlyXbErrors(bytes, type, coding);
      }),
      { numRuns: 1000 },
    );
  });

  it('structured text: JSON-ish and CSV-ish characters in any order', () => {
    const ch = fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '\n', '\r', 'a', '1', ' ', '=', '&', '%', '-', '\u0000', 'u', '中');
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 200 }), fc.constantFrom(...TYPES), (chars, type) => {
        onlyXbErrors(Buffer.from(chars.join('')), type);
      }),
      { numRuns: 1000 },
    );
  });

  it('valid bodies with bytes flipped, cut or gzipped-then-flipped', () => {
    const valid = fc.array(record, { minLength: 1, maxLength: 4 }).map((rs) => Buffer.from(JSON.stringify(rs)));
    fc.assert(
      fc.property(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), fc.boolean(), (good, flips, cut, gz) => {
        const b = Buffer.from(gz ? gzipSync(good) : good);
        for (const [at, byte] of flips) b[at % b.length] = byte;
        const bytes = b.subarray(0, b.length - (cut % 3 === 0 ? cut % b.length : 0));
        for (const type of ['application/json', 'application/x-ndjson', 'text/csv']) onlyXbErrors(bytes, type, gz ? 'gzip' : undefined);
      }),
      { numRuns: 500 },
    );
  });
});
