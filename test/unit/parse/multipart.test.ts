/**
 * multipart/form-data: text fields become one record, every other part is parsed by its own type;
 * anything the reader cannot account for (a part that is not form-data, data outside the parts, a
 * missing closing boundary, too many parts) makes the body uninspectable instead of being skipped.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { compileRecordRoot } from '../../../agent/parse/recordRoot.js';
import { body, multipart, records, refusal, root } from './support.js';

const B = 'xb-boundary-7MA4YWxk';
const TYPE = `multipart/form-data; boundary=${B}`;
const field = (name: string, value: string | Buffer, extra: string[] = []) => ({ headers: [`Content-Disposition: form-data; name="${name}"`, ...extra], content: value });
const file = (name: string, filename: string, type: string | undefined, content: string | Buffer) => ({
  headers: [`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, ...(type ? [`Content-Type: ${type}`] : [])],
  content,
});

describe('parts by their own type', () => {
  it('makes text fields one record (a repeated name an array) and parses each file by its type', () => {
    const b = multipart(B, [
      field('发货人姓名', '张三'),
      field('shipperPhone', '13900000001'),
      field('tag', 'a'),
      file('orders', 'orders.csv', 'text/csv', 'orderNo,buyerPhone\r\nO-1,13700000001\r\nO-2,13700000002\r\n'),
      field('tag', 'b'),
      file('batch', 'batch.json', 'application/json', '{"data":{"orders":[{"buyerName":"李四"}]}}'),
      field('meta', '{"data":{"orders":[{"buyerName":"王五"}]}}', ['Content-Type: application/json']),
      file('note', 'note.txt', 'text/plain', '身份证 110101199003070018'),
      file('lines', 'x.ndjson', 'application/x-ndjson', '{"a":1}\n{"a":2}\n'),
    ]);
    expect(records(body(b, TYPE), root('$.data.orders[*]'))).toEqual([
      { 发货人姓名: '张三', shipperPhone: '13900000001', tag: ['a', 'b'] },
      { orderNo: 'O-1', buyerPhone: '13700000001' },
      { orderNo: 'O-2', buyerPhone: '13700000002' },
      { buyerName: '李四' },
      { buyerName: '王五' },
      { text: '身份证 110101199003070018' },
      { a: 1 },
      { a: 2 },
    ]);
  });

  it('reads a file part without a Content-Type as text (RFC 7578 §4.4)', () => {
    expect(records(body(multipart(B, [file('f', 'a.txt', undefined, 'hello')]), TYPE))).toEqual([{ text: 'hello' }]);
  });

  it('decodes GBK fields and files: declared per part, by _charset_, or detected', () => {
    const gbk = (s: string) => iconv.encode(s, 'gbk');
    expect(records(body(multipart(B, [field('name', gbk('张三')), file('f', 'a.csv', 'text/csv', gbk('姓名\n李四\n'))]), TYPE))).toEqual([{ name: '张三' }, { 姓名: '李四' }]);
    expect(records(body(multipart(B, [field('_charset_', 'gbk'), field('name', gbk('张三'))]), TYPE))).toEqual([{ name: '张三' }]);
    expect(records(body(multipart(B, [field('name', gbk('张三'), ['Content-Type: text/plain; charset=gbk'])]), TYPE))).toEqual([{ name: '张三' }]);
  });

  it('reads UTF-8 field names as browsers send them (raw bytes in the quoted name)', () => {
    expect(records(body(multipart(B, [field('收件人手机', '13700000001')]), TYPE))).toEqual([{ 收件人手机: '13700000001' }]);
  });

  it('accepts a preamble of blank lines, transport padding after a boundary, and an empty multipart', () => {
    const padded = `\r\n${multipart(B, [field('a', '1')]).toString().replace(`--${B}\r\n`, `--${B}  \r\n`)}`;
    expect(records(body(padded, TYPE))).toEqual([{ a: '1' }]);
    expect(records(body(`--${B}--\r\n`, TYPE))).toEqual([]);
  });

  it('applies the record root to each JSON part', () => {
    const b = multipart(B, [file('a', 'a.json', 'application/json', '{"items":[{"x":1}]}'), file('b', 'b.json', 'application/json', '{"other":[]}')]);
    const err = refusal(() => records(body(b, TYPE), { recordRoot: compileRecordRoot('$.items[*]') }));
    expect(err.code).toBe('XB_PARSE_RECORD_ROOT');
    expect(err.message).toMatch(/part 2 of the body/);
  });
});

describe('refused, never skipped', () => {
  const SECRET = '13900000001';
  it.each([
    { what: 'a part that is not form-data', b: multipart(B, [field('a', '1'), { headers: ['Content-Disposition: attachment; name="x"'], content: SECRET }]), code: 'XB_PARSE_MULTIPART_INVALID', says: /part 2 has no Content-Disposition: form-data/ },
    { what: 'a part without a name', b: multipart(B, [{ headers: ['Content-Disposition: form-data'], content: SECRET }]), code: 'XB_PARSE_MULTIPART_INVALID', says: /part 1 has no name/ },
    { what: 'a part without headers', b: multipart(B, [{ headers: [], content: SECRET }]), code: 'XB_PARSE_MULTIPART_INVALID', says: /part 1 has no Content-Disposition/ },
    { what: 'data before the first boundary', b: Buffer.concat([Buffer.from(`${SECRET}\r\n`), multipart(B, [field('a', '1')])]), code: 'XB_PARSE_MULTIPART_INVALID', says: /before the first boundary/ },
    { what: 'data after the closing boundary', b: Buffer.concat([multipart(B, [field('a', '1')]), Buffer.from(SECRET)]), code: 'XB_PARSE_MULTIPART_INVALID', says: /after the closing boundary/ },
    { what: 'a body cut before its closing boundary', b: multipart(B, [field('a', SECRET)]).subarray(0, -10), code: 'XB_PARSE_MULTIPART_INVALID', says: /part 1 is not followed by a boundary/ },
    { what: 'a body with no boundary at all', b: Buffer.from(SECRET), code: 'XB_PARSE_MULTIPART_INVALID', says: /no boundary delimiter/ },
    { what: 'a file part of a type it cannot inspect', b: multipart(B, [file('photo', 'id.jpg', 'image/jpeg', SECRET)]), code: 'XB_BODY_UNSUPPORTED_TYPE', says: /part 1 of the body is image\/jpeg/ },
    { what: 'an octet-stream part', b: multipart(B, [file('blob', 'x.bin', 'application/octet-stream', SECRET)]), code: 'XB_BODY_UNSUPPORTED_TYPE', says: /application\/octet-stream/ },
    { what: 'nested multipart', b: multipart(B, [file('inner', 'x', 'multipart/form-data; boundary=inner', `--inner--`)]), code: 'XB_BODY_UNSUPPORTED_TYPE', says: /nested multipart/ },
    { what: 'a base64 Content-Transfer-Encoding', b: multipart(B, [field('a', Buffer.from(SECRET).toString('base64'), ['Content-Transfer-Encoding: base64'])]), code: 'XB_BODY_ENCODED', says: /base64/ },
    { what: 'a malformed JSON part', b: multipart(B, [file('j', 'j.json', 'application/json', `{"phone": ${SECRET}`)]), code: 'XB_PARSE_INVALID_JSON', says: /part 1 of the body is not valid JSON/ },
    { what: 'a malformed CSV part', b: multipart(B, [file('c', 'c.csv', 'text/csv', `a\n"${SECRET}`)]), code: 'XB_PARSE_CSV_INVALID', says: /part 1 of the body is not valid CSV: line 2/ },
  ])('$what → $code', ({ b, code, says }) => {
    const err = refusal(() => records(body(b, TYPE)));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(says);
    expect(err.message).not.toContain(SECRET);
  });

  it('refuses a content-type without a boundary', () => {
    expect(refusal(() => records(body(multipart(B, [field('a', '1')]), 'multipart/form-data'))).code).toBe('XB_PARSE_MULTIPART_INVALID');
  });

  it('refuses more parts than limits.multipartParts with 413 XB_BODY_TOO_MANY_PARTS', () => {
    const b = multipart(B, Array.from({ length: 4 }, (_, i) => field(`f${i}`, 'x')));
    const options = { ...root(), bodyLimits: { decompressedBytes: 1 << 20, maxRatio: 200, multipartParts: 3 } };
    const err = refusal(() => records(body(b, TYPE), options));
    expect(err.code).toBe('XB_BODY_TOO_MANY_PARTS');
    expect(err.status).toBe(413);
    expect(records(body(b, TYPE), { ...options, bodyLimits: { ...options.bodyLimits, multipartParts: 4 } })).toHaveLength(1);
  });

  it('refuses part headers that never end', () => {
    const b = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\nx\r\n--${B}--`);
    expect(refusal(() => records(body(b, TYPE))).message).toMatch(/headers do not end within 16384 bytes/);
  });
});

describe('regression: a large file part', () => {
  // Its records were spread into push(), which overflows the call stack past ~100k arguments.
  it('gives the records of a CSV upload of 200,000 rows', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i}`).join('\n');
    const b = multipart(B, [file('f', 'big.csv', 'text/csv', `n\n${rows}\n`)]);
    expect(records(body(b, TYPE))).toHaveLength(200_000);
  });
});
