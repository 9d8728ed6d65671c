/**
 * `multipart/form-data` (RFC 7578): each part by its own Content-Type. Text fields (no filename,
 * `text/plain` or no type) make one record together, a repeated name an array; every other part,
 * file or not, is parsed as its type says (a CSV upload gives its rows, a JSON part the records at
 * the route's record root). A part parse/ cannot inspect makes the whole body uninspectable.
 *
 * Parsed here from the buffered body rather than with busboy: busboy skips parts without
 * `Content-Disposition: form-data` and parts past its limits without an error (their data would
 * leave uninspected), decodes field values itself and drops a file part's charset. This reader
 * refuses whatever it does not account for: a preamble or epilogue that is not white space, a
 * part without a form-data disposition and name, a missing closing boundary, a
 * Content-Transfer-Encoding, more than `limits.multipartParts` parts, headers over 16 KiB.
 */
import { isUtf8 } from 'node:buffer';
import { DEFAULTS } from '../config/defaults.js';
import { XbError } from '../errors.js';
import { charsetOf, decodeText, type Charset } from './charset.js';
import { addField } from './fields.js';
import { parseHeaderValue, parseMediaType, type HeaderValue } from './media-type.js';

export interface Part {
  /** 1-based position, for messages (names and file names may be PI; positions are not). */
  readonly n: number;
  readonly name: string;
  /** Present (possibly empty) when the part is a file upload; as sent (`filename*` not decoded): only its presence is read. */
  readonly filename: string | undefined;
  /** The part's Content-Type; `text/plain` when it has none (RFC 7578 §4.4). */
  readonly type: HeaderValue;
  readonly bytes: Buffer;
}

/** Parses one non-field part by its type (index.ts's dispatcher), returning its records. */
export type PartParser = (bytes: Buffer, type: HeaderValue, where: string) => unknown[];

const TEXT_PLAIN: HeaderValue = { value: 'text/plain', params: new Map() };
const IDENTITY_TRANSFER = new Set(['7bit', '8bit', 'binary']);

/** Records of a multipart body: the text fields' record first, then each other part's records in order. */
export function parseMultipartRecords(bytes: Buffer, boundary: string | undefined, maxParts: number, parsePart: PartParser, where = 'the body'): unknown[] {
  const parts = splitParts(bytes, boundary, maxParts, where);
  const fields = parts.filter((p) => p.filename === undefined && p.type.value === 'text/plain');
  const isField = new Set(fields);
  const records: unknown[] = [];
  if (fields.length > 0) records.push(fieldsRecord(fields, where));
  for (const p of parts) {
    if (isField.has(p)) continue;
    // Not push(...rows): a CSV upload of a million rows would overflow the argument stack.
    for (const r of parsePart(p.bytes, p.type, `part ${p.n} of ${where}`)) records.push(r);
  }
  return records;
}

/**
 * The text fields as one record. Charset per field: its own `charset` parameter, else the form's
 * `_charset_` field (RFC 7578 §4.6), else one decision for all undeclared fields by charset.ts's rule.
 */
function fieldsRecord(fields: readonly Part[], where: string): Record<string, unknown> {
  const invalid = (n: number) => (reason: string) => new XbError('XB_PARSE_MULTIPART_INVALID', `${where}: field part ${n} ${reason}`);
  const formCharset = fields.find((f) => f.name === '_charset_');
  const fallback: Charset | undefined = formCharset ? charsetOf(formCharset.bytes.toString('latin1').trim(), `${where} (_charset_ field)`) : undefined;
  const undeclared = fields.filter((f) => !f.type.params.has('charset'));
  const detected: Charset = fallback ?? (isUtf8(Buffer.concat(undeclared.map((f) => f.bytes))) ? 'utf-8' : 'gb18030');
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    if (f === formCharset) continue;
    const cs = charsetOf(f.type.params.get('charset'), `${where}: part ${f.n}`) ?? detected;
    addField(record, f.name, f.bytes.length === 0 ? '' : decodeText(f.bytes, cs, invalid(f.n)));
  }
  return record;
}

/** Largest header block of one part, bytes. */
const MAX_HEADER_BYTES = DEFAULTS.parse.multipartHeaderBytes;

/** Split a multipart body into its parts (RFC 2046 §5.1.1 delimiters); XB_PARSE_MULTIPART_INVALID for anything unaccounted for. */
export function splitParts(body: Buffer, boundary: string | undefined, maxParts: number, where = 'the body'): Part[] {
  const invalid = (message: string) => new XbError('XB_PARSE_MULTIPART_INVALID', `${where} is not valid multipart/form-data: ${message}`);
  if (boundary === undefined || boundary.length < 1 || boundary.length > 70) throw invalid('its content-type has no boundary of 1 to 70 characters');
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');

  // A delimiter is `--boundary` followed by `--` (the last) or optional white space and CRLF.
  const after = (at: number): { close: boolean; next: number } | undefined => {
    let p = at + dash.length;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) return { close: true, next: p + 2 };
    while (body[p] === 0x20 || body[p] === 0x09) p++;
    return body[p] === 0x0d && body[p + 1] === 0x0a ? { close: false, next: p + 2 } : undefined;
  };
  const findDelimiter = (from: number): number => {
    for (let i = body.indexOf(delimiter, from); i >= 0; i = body.indexOf(delimiter, i + 1)) if (after(i + 2)) return i;
    return -1;
  };

  let at: number;
  if (body.subarray(0, dash.length).equals(dash) && after(0)) at = 0;
  else {
    const first = findDelimiter(0);
    if (first < 0) throw invalid('no boundary delimiter found');
    if (!isBlank(body.subarray(0, first))) throw invalid('it has data before the first boundary, which would not be inspected');
    at = first + 2;
  }
  const parts: Part[] = [];
  for (;;) {
    const d = after(at) as { close: boolean; next: number };
    if (d.close) {
      if (!isBlank(body.subarray(d.next))) throw invalid('it has data after the closing boundary, which would not be inspected');
      return parts;
    }
    const n = parts.length + 1;
    if (n > maxParts) throw new XbError('XB_BODY_TOO_MANY_PARTS', `${where} has more than ${maxParts} parts (limits.multipartParts)`, { limitParts: maxParts });
    const headerStart = d.next;
    let contentStart: number;
    let headerBytes: Buffer;
    if (body[headerStart] === 0x0d && body[headerStart + 1] === 0x0a) {
      headerBytes = Buffer.alloc(0);
      contentStart = headerStart + 2;
    } else {
      const end = body.indexOf('\r\n\r\n', headerStart);
      if (end < 0 || end - headerStart > MAX_HEADER_BYTES) throw invalid(`part ${n}: its headers do not end within ${MAX_HEADER_BYTES} bytes`);
      headerBytes = body.subarray(headerStart, end);
      contentStart = end + 4;
    }
    // From the header block's last CRLF: a sender that ends an empty part's headers directly
    // with the next delimiter is read as an empty part, not as a part swallowing the next one.
    const next = findDelimiter(contentStart - 2);
    if (next < 0) throw invalid(`part ${n} is not followed by a boundary (the body ends too early)`);
    parts.push(part(n, headerBytes, body.subarray(contentStart, Math.max(contentStart, next)), invalid));
    at = next + 2;
  }
}

function part(n: number, headerBytes: Buffer, bytes: Buffer, invalid: (m: string) => XbError): Part {
  // Browsers send field and file names as raw UTF-8; legacy GBK pages, as GBK.
  const text = decodeText(headerBytes, undefined, (reason) => invalid(`part ${n}: its headers ${reason}`));
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw invalid(`part ${n}: a header line has no name`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(name)) throw invalid(`part ${n}: header ${name} appears twice`);
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  const disposition = parseHeaderValue(headers.get('content-disposition') ?? '');
  if (disposition?.value !== 'form-data') throw invalid(`part ${n} has no Content-Disposition: form-data`);
  const name = disposition.params.get('name');
  if (name === undefined) throw invalid(`part ${n} has no name`);
  const transfer = headers.get('content-transfer-encoding')?.toLowerCase();
  if (transfer !== undefined && !IDENTITY_TRANSFER.has(transfer)) {
    throw new XbError('XB_BODY_ENCODED', `part ${n} has Content-Transfer-Encoding ${JSON.stringify(transfer.slice(0, 40))}, which is not inspected`);
  }
  const rawType = headers.get('content-type');
  const type = rawType === undefined ? TEXT_PLAIN : parseMediaType(rawType);
  if (!type) throw invalid(`part ${n} has a malformed Content-Type`);
  const filename = disposition.params.get('filename*') ?? disposition.params.get('filename');
  return { n, name, filename, type, bytes };
}

const isBlank = (b: Buffer): boolean => b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a);
