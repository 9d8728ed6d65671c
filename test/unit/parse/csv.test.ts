/**
 * CSV and TSV (RFC 4180): a header row, quoting, both line ends, a byte-order mark, GBK exports
 * (declared, set on the route, or detected), and errors that name the line, never a value.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { body, records, refusal, root } from './support.js';

const csv = (text: string | Buffer, type = 'text/csv', options = root()) => records(body(text, type), options);

describe('CSV rows', () => {
  it.each([
    { what: 'LF line ends', text: 'name,phone\n张三,13900000001\n李四,13900000002\n', want: [{ name: '张三', phone: '13900000001' }, { name: '李四', phone: '13900000002' }] },
    { what: 'CRLF line ends, no final line end', text: 'name,phone\r\n张三,13900000001\r\n李四,13900000002', want: [{ name: '张三', phone: '13900000001' }, { name: '李四', phone: '13900000002' }] },
    { what: 'quoted delimiters, quotes and line breaks', text: 'a,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n', want: [{ a: 'x, y', b: 'say "hi"', c: 'two\r\nlines' }] },
    { what: 'empty fields, quoted and not', text: 'a,b,c\n,"",\n', want: [{ a: '', b: '', c: '' }] },
    { what: 'blank lines skipped', text: 'a\n\n1\n\r\n2\n\n', want: [{ a: '1' }, { a: '2' }] },
    { what: 'a short row has only its own fields', text: 'a,b,c\n1,2\n', want: [{ a: '1', b: '2' }] },
    { what: 'a quote inside an unquoted field is a character', text: 'size\n5" screen\n', want: [{ size: '5" screen' }] },
    { what: 'a header alone is no record', text: 'a,b\n', want: [] },
    { what: 'an empty body is no record', text: '', want: [] },
  ])('$what', ({ text, want }) => {
    expect(csv(text)).toEqual(want);
  });

  it('drops a UTF-8 byte-order mark (Excel writes one)', () => {
    expect(csv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('发货人姓名,手机\n张三,13900000001\n')]))).toEqual([{ 发货人姓名: '张三', 手机: '13900000001' }]);
  });

  it('uses the route’s delimiter for text/csv, and a tab for TSV whatever the route says', () => {
    const semicolon = { ...root(), csv: { delimiter: ';' } };
    expect(csv('a;b\n1,5;2\n', 'text/csv', semicolon)).toEqual([{ a: '1,5', b: '2' }]);
    expect(csv('a\tb\n1;5\t2\n', 'text/tab-separated-values', semicolon)).toEqual([{ a: '1;5', b: '2' }]);
  });
});

describe('GBK and GB18030', () => {
  const text = '发货人姓名,发货人联系方式,备注\r\n张三,13900000001,"六堡茶, 两盒"\r\n';
  const want = [{ 发货人姓名: '张三', 发货人联系方式: '13900000001', 备注: '六堡茶, 两盒' }];

  it('decodes GBK declared by the request', () => {
    expect(csv(iconv.encode(text, 'gbk'), 'text/csv; charset=gbk')).toEqual(want);
    expect(csv(iconv.encode(text, 'gb18030'), 'text/csv; charset="GB18030"')).toEqual(want);
  });

  it('decodes GBK set on the route (routes[].csv.charset) when the request declares none', () => {
    expect(csv(iconv.encode(text, 'gbk'), 'text/csv', { ...root(), csv: { charset: 'gbk' } })).toEqual(want);
  });

  it('detects GBK when the bytes are not UTF-8 and nothing is declared', () => {
    expect(csv(iconv.encode(text, 'gbk'))).toEqual(want);
  });

  it('refuses GBK declared as UTF-8 rather than reading it with replacement characters', () => {
    const err = refusal(() => csv(iconv.encode(text, 'gbk'), 'text/csv; charset=utf-8'));
    expect(err.code).toBe('XB_PARSE_CSV_INVALID');
    expect(err.message).toMatch(/not valid UTF-8/);
  });
});

describe('malformed CSV: 400 XB_PARSE_CSV_INVALID naming the line', () => {
  const SECRET = '13900000001';
  it.each([
    { what: 'an unclosed quote', text: `a,b\n1,2\n"${SECRET},3\n`, says: /line 3: a quoted field is never closed/ },
    { what: 'text after a closing quote', text: `a,b\n"${SECRET}"x,3\n`, says: /line 2: text after the closing quote/ },
    { what: 'more fields than the header', text: `a,b\n1,2\n3,${SECRET},5\n`, says: /line 3 has 3 fields; the header names 2/ },
    { what: 'a repeated column name', text: `phone,phone\n${SECRET},1\n`, says: /line 1: header column 2 has the same name as column 1/ },
    { what: 'a line count that runs through a quoted line break', text: `a,b\n"x\ny",1\n1,2,${SECRET}\n`, says: /line 4 has 3 fields/ },
  ])('$what', ({ text, says }) => {
    const err = refusal(() => csv(text));
    expect(err.code).toBe('XB_PARSE_CSV_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(says);
    expect(err.message).not.toContain(SECRET);
  });

  it('names TSV as TSV', () => {
    expect(refusal(() => csv('a\tb\n1\t2\t3\n', 'text/tab-separated-values')).message).toMatch(/not valid TSV/);
  });
});
