/** The charset rule (agent/parse/charset.ts, docs/config.md): declared wins; else UTF-8 if valid, else GB18030; never replacement characters. */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { charsetOf, decodeText } from '../../../agent/parse/charset.js';
import { XbError } from '../../../agent/errors.js';
import { refusal } from './support.js';

const invalid = (reason: string) => new XbError('XB_PARSE_TEXT_INVALID', `the body ${reason}`);
const SAMPLE = '发货人：张三，电话 13900000001';

describe('charset labels', () => {
  it.each([
    ['utf-8', 'utf-8'],
    ['UTF8', 'utf-8'],
    ['us-ascii', 'utf-8'],
    ['gbk', 'gbk'],
    ['GB2312', 'gbk'],
    ['cp936', 'gbk'],
    ['gb18030', 'gb18030'],
  ])('%s → %s', (label, want) => {
    expect(charsetOf(label)).toBe(want);
  });

  it('has no charset for no label, and refuses one it cannot decode with 415', () => {
    expect(charsetOf(undefined)).toBeUndefined();
    expect(refusal(() => charsetOf('big5')).code).toBe('XB_BODY_UNSUPPORTED_TYPE');
  });
});

describe('decoding', () => {
  it.each([
    { what: 'UTF-8, undeclared', bytes: Buffer.from(SAMPLE), charset: undefined },
    { what: 'UTF-8 with a BOM', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SAMPLE)]), charset: undefined },
    { what: 'GBK, undeclared (not valid UTF-8: detected)', bytes: iconv.encode(SAMPLE, 'gbk'), charset: undefined },
    { what: 'GB18030, undeclared', bytes: iconv.encode(`${SAMPLE} 𠀀`, 'gb18030'), charset: undefined, text: `${SAMPLE} 𠀀` },
    { what: 'GBK, declared', bytes: iconv.encode(SAMPLE, 'gbk'), charset: 'gbk' as const },
    { what: 'GB18030 with its BOM', bytes: iconv.encode(SAMPLE, 'gb18030', { addBOM: true }), charset: 'gb18030' as const },
  ])('$what', ({ bytes, charset, text }) => {
    expect(decodeText(bytes, charset, invalid)).toBe(text ?? SAMPLE);
  });

  it('refuses bytes that are neither UTF-8 nor GB18030, and declared charsets the bytes are not in', () => {
    expect(refusal(() => decodeText(Buffer.from([0x41, 0xff, 0xfe, 0x42]), undefined, invalid)).message).toMatch(/neither valid UTF-8 nor valid GB18030/);
    expect(refusal(() => decodeText(iconv.encode(SAMPLE, 'gbk'), 'utf-8', invalid)).message).toMatch(/not valid UTF-8/);
    expect(refusal(() => decodeText(Buffer.from([0x81, 0x20]), 'gbk', invalid)).message).toMatch(/not valid GBK/);
  });
});
