/**
 * Text bodies to strings. The rule (docs/config.md, "Character sets"):
 * 1. A declared charset wins (the request's `charset` parameter, else the route's `csv.charset`
 *    for CSV): UTF-8 (and US-ASCII) is decoded strictly; GBK, GB2312 and GB18030 with iconv-lite;
 *    any other charset is uninspectable (415).
 * 2. Undeclared: UTF-8 when the bytes are valid UTF-8, else GB18030 (a superset of GBK and
 *    GB2312). Chinese text in GBK is practically never valid UTF-8: its lead bytes 0x81–0xFE are
 *    followed by trail bytes UTF-8 does not allow there.
 * 3. Bytes that are not valid in the charset chosen are a parse error of the format: never
 *    decoded with replacement characters, which would hide the names and values classify reads.
 * A byte-order mark is dropped. A NUL character is a parse error too (`nulReason`).
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { XbError } from '../errors.js';

export type Charset = 'utf-8' | 'gbk' | 'gb18030';

const LABELS: ReadonlyMap<string, Charset> = new Map<string, Charset>([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['us-ascii', 'utf-8'],
  ['ascii', 'utf-8'],
  ['gbk', 'gbk'],
  ['x-gbk', 'gbk'],
  ['cp936', 'gbk'],
  ['windows-936', 'gbk'],
  ['gb2312', 'gbk'],
  ['gb18030', 'gb18030'],
]);

/** The charset a label names; undefined for no label; XB_BODY_UNSUPPORTED_TYPE for one parse/ cannot decode. */
export function charsetOf(label: string | undefined, where = 'the body'): Charset | undefined {
  if (label === undefined || label === '') return undefined;
  const charset = LABELS.get(label.toLowerCase());
  if (!charset) throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `${where} declares charset ${JSON.stringify(label.slice(0, 40))}; inspected charsets: utf-8, gbk, gb2312, gb18030`);
  return charset;
}

/**
 * Decode text by the rule above. `invalid` builds the format's parse error from a reason (no
 * body content in it).
 */
export function decodeText(bytes: Uint8Array, charset: Charset | undefined, invalid: (reason: string) => XbError): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text: string;
  if (charset === 'utf-8' || (charset === undefined && isUtf8(buf))) {
    if (charset === 'utf-8' && !isUtf8(buf)) throw invalid('is not valid UTF-8');
    text = buf.toString('utf8');
  } else {
    const gb = charset ?? 'gb18030';
    text = iconv.decode(buf, gb, { stripBOM: true });
    // iconv-lite replaces what it cannot decode with U+FFFD.
    if (text.includes('\uFFFD')) throw invalid(charset ? `is not valid ${charset.toUpperCase()}` : 'is neither valid UTF-8 nor valid GB18030 (declare its charset)');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\0');
  if (nul >= 0) throw invalid(nulReason(nul));
  return text;
}

/**
 * No text format carries a NUL: a C consumer upstream would end a name or value there, reading
 * something other than what was inspected. Refused in every text format (and `\u0000` in JSON).
 */
export const nulReason = (at: number) => `contains a NUL character (U+0000) at character ${at}`;
