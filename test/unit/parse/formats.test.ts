/**
 * parse() picks the parser by the request's Content-Type and the route's `accept` list. One row
 * per format: what a body becomes. JSON, NDJSON, forms and text here; CSV, multipart, protobuf and
 * Content-Encoding have files of their own.
 */
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { parse } from '../../../agent/parse/index.js';
import { body, records, refusal, root } from './support.js';

describe('the parser follows the Content-Type', () => {
  it.each([
    { what: 'a JSON object is one record', type: 'application/json', text: '{"a":1}', want: [{ a: 1 }] },
    { what: 'a JSON array is records', type: 'application/json; charset=utf-8', text: '[{"a":1},{"a":2}]', want: [{ a: 1 }, { a: 2 }] },
    { what: 'any +json type is JSON', type: 'application/vnd.partner.orders+json', text: '{"a":1}', want: [{ a: 1 }] },
    { what: 'NDJSON: a record per line, blank lines skipped, CRLF too', type: 'application/x-ndjson', text: '{"a":1}\r\n\r\n{"a":2}\n', want: [{ a: 1 }, { a: 2 }] },
    { what: 'JSON Lines is NDJSON', type: 'application/jsonl', text: '{"a":1}', want: [{ a: 1 }] },
    { what: 'a form is one record; a repeated name an array', type: 'application/x-www-form-urlencoded', text: 'name=%E5%BC%A0%E4%B8%89&tag=a&tag=b+c&empty', want: [{ name: '张三', tag: ['a', 'b c'], empty: '' }] },
    { what: 'an empty form is no record', type: 'application/x-www-form-urlencoded', text: '', want: [] },
    { what: 'text is one record { text }', type: 'text/plain', text: '客户电话 13900000001', want: [{ text: '客户电话 13900000001' }] },
    { what: 'CSV rows keyed by the header', type: 'text/csv', text: 'a,b\n1,2\n', want: [{ a: '1', b: '2' }] },
    { what: 'TSV is tab-separated', type: 'text/tab-separated-values', text: 'a\tb\n1,5\t2\n', want: [{ a: '1,5', b: '2' }] },
  ])('$what ($type)', ({ type, text, want }) => {
    expect(records(body(text, type))).toEqual(want);
  });

  it('applies the record root to JSON', () => {
    expect(records(body('{"data":{"orders":[{"a":1},{"a":2}]}}', 'application/json'), root('$.data.orders[*]'))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(refusal(() => records(body('{"data":{}}', 'application/json'), root('$.data.orders[*]'))).code).toBe('XB_PARSE_RECORD_ROOT');
  });

  it('strips a UTF-8 byte-order mark (JSON.parse refuses it)', () => {
    expect(records(body(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]), 'application/json'))).toEqual([{ a: 1 }]);
  });

  it('reads GBK JSON, declared or not', () => {
    const gbk = iconv.encode('{"发货人姓名":"张三"}', 'gbk');
    expect(records(body(gbk, 'application/json; charset=GBK'))).toEqual([{ 发货人姓名: '张三' }]);
    expect(records(body(gbk, 'application/json'))).toEqual([{ 发货人姓名: '张三' }]);
  });

  it('keeps a field named __proto__ as a field, not a prototype', () => {
    const [form] = records(body('__proto__=x&a=1', 'application/x-www-form-urlencoded')) as Record<string, unknown>[];
    expect(Object.keys(form ?? {})).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
    const [row] = records(body('__proto__,b\n1,2', 'text/csv')) as Record<string, unknown>[];
    expect(Object.keys(row ?? {})).toEqual(['__proto__', 'b']);
  });

  it('never changes the body it was given', () => {
    const b = body('{"a":1}', 'application/json');
    const copy = Buffer.from(b.bytes);
    parse(b, root());
    expect(b.bytes.equals(copy)).toBe(true);
  });
});

describe('what a route takes', () => {
  const csvOnly = { ...root(), accept: ['text/csv', 'text/tab-separated-values'] };

  it('takes the media types it lists', () => {
    expect(records(body('a\n1', 'text/csv; charset=utf-8'), csvOnly)).toEqual([{ a: '1' }]);
  });

  it.each([
    { what: 'a type the route does not list', type: 'application/json', says: /this route takes text\/csv, text\/tab-separated-values \(routes\[\]\.accept\); got application\/json/ },
    { what: 'no content-type', type: undefined, says: /no content-type/ },
    { what: 'a malformed content-type', type: 'csv', says: /malformed/ },
  ])('refuses $what with 415 XB_BODY_UNSUPPORTED_TYPE', ({ type, says }) => {
    const err = refusal(() => records(body('{}', type), csvOnly));
    expect(err.code).toBe('XB_BODY_UNSUPPORTED_TYPE');
    expect(err.status).toBe(415);
    expect(err.message).toMatch(says);
  });

  it.each(['image/png', 'application/octet-stream', 'application/xml', 'multipart/mixed; boundary=x'])('refuses %s on a route taking everything', (type) => {
    expect(refusal(() => records(body('x', type))).code).toBe('XB_BODY_UNSUPPORTED_TYPE');
  });

  it('refuses protobuf on a route that names no message type', () => {
    const err = refusal(() => records(body(Buffer.from([8, 1]), 'application/x-protobuf')));
    expect(err.code).toBe('XB_BODY_UNSUPPORTED_TYPE');
    expect(err.message).toMatch(/routes\[\]\.protobuf/);
  });

  it('refuses a charset it cannot decode', () => {
    const err = refusal(() => records(body('a', 'text/plain; charset=koi8-r')));
    expect(err.code).toBe('XB_BODY_UNSUPPORTED_TYPE');
    expect(err.message).toMatch(/koi8-r/);
  });
});

describe('malformed bodies: a 400 whose message never quotes the body', () => {
  const SECRET = '13900000001';
  it.each([
    { what: 'JSON', type: 'application/json', text: `{"phone": ${SECRET} x}`, code: 'XB_PARSE_INVALID_JSON', says: /character \d+/ },
    { what: 'JSON cut short', type: 'application/json', text: `{"phone": "${SECRET}`, code: 'XB_PARSE_INVALID_JSON', says: /not valid JSON/ },
    { what: 'NDJSON, naming the line', type: 'application/x-ndjson', text: `{"a":1}\n\n{"phone": ${SECRET}]\n`, code: 'XB_PARSE_INVALID_JSON', says: /line 3 is not valid JSON/ },
    { what: 'a form with a broken escape', type: 'application/x-www-form-urlencoded', text: `a=1&phone=${SECRET}%G1`, code: 'XB_PARSE_FORM_INVALID', says: /field 2: its value has a %/ },
    { what: 'text that is neither UTF-8 nor GB18030', type: 'text/plain', text: Buffer.concat([Buffer.from(SECRET), Buffer.from([0xff, 0xff])]), code: 'XB_PARSE_TEXT_INVALID', says: /neither valid UTF-8 nor valid GB18030/ },
    { what: 'text declared UTF-8 that is not', type: 'text/plain; charset=utf-8', text: Buffer.from([0xd5, 0xc5]), code: 'XB_PARSE_TEXT_INVALID', says: /not valid UTF-8/ },
  ])('$what → $code', ({ type, text, code, says }) => {
    const err = refusal(() => records(body(text, type)));
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(says);
    expect(err.message).not.toContain(SECRET);
  });
});
