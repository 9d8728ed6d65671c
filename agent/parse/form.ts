/**
 * `application/x-www-form-urlencoded`: one record of the body's fields; a repeated name becomes
 * an array of its values. `+` is a space; `%XX` are bytes, decoded together by charset.ts's rule
 * (a legacy GBK page posts GBK bytes and says nothing).
 */
import { isUtf8 } from 'node:buffer';
import { XbError } from '../errors.js';
import { decodeText, type Charset } from './charset.js';
import { addField } from './fields.js';

/** The body as one record (none for an empty body); XB_PARSE_FORM_INVALID names the field's position, never its text. */
export function parseFormRecords(bytes: Uint8Array, charset: Charset | undefined, where = 'the body'): Record<string, unknown>[] {
  const invalid = (message: string) => new XbError('XB_PARSE_FORM_INVALID', `${where} is not a valid form: ${message}`);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The form syntax is ASCII: split on the raw bytes, decode each name and value afterwards.
  const pairs: [Buffer, Buffer][] = [];
  let n = 0;
  for (const piece of buf.toString('latin1').split('&')) {
    n++;
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([unescape(name, n, 'name', invalid), unescape(value, n, 'value', invalid)]);
  }
  if (pairs.length === 0) return [];
  // One charset decision for the whole form: all of it valid UTF-8, or all of it GB18030.
  const cs = charset ?? (isUtf8(Buffer.concat(pairs.flat())) ? 'utf-8' : 'gb18030');
  const text = (b: Buffer) => decodeText(b, cs, (reason) => invalid(`a field ${reason}`));
  const record: Record<string, unknown> = {};
  for (const [k, v] of pairs) addField(record, text(k), text(v));
  return [record];
}

/** `a+b%20c` (latin1 view of the bytes) → the bytes it stands for. */
function unescape(s: string, n: number, what: string, invalid: (m: string) => XbError): Buffer {
  if (!s.includes('%')) return Buffer.from(s.replace(/\+/g, ' '), 'latin1');
  const out = Buffer.alloc(s.length);
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`field ${n}: its ${what} has a % not followed by two hex digits`);
      out[len++] = parseInt(hex, 16);
      i += 2;
    } else out[len++] = c === 0x2b ? 0x20 : c;
  }
  return out.subarray(0, len);
}
