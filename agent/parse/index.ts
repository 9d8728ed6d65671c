/**
 * parse: Body → Records.
 * In: the buffered request body (bytes, Content-Type, Content-Encoding) and the route's parse
 * options: the media types it takes, its record root, CSV and protobuf settings, the body limits.
 * Out: the records to inspect, as plain JS values. The body itself is untouched: a compressed
 * body is decoded into a copy, and the bytes as received are what forward/ sends.
 * Never: guess. A body whose type the route does not take, that does not decode or parse as its
 * Content-Type says, or that holds data a parser would skip is uninspectable (XB_BODY_*,
 * XB_PARSE_*), and the pipeline refuses it on fail-closed routes. Messages name lines, positions
 * and part numbers, never a value: values may be PI.
 *
 * One module per format (json, ndjson, csv, form, multipart, protobuf, text), decode.ts for
 * Content-Encoding, charset.ts for the charset rule; README.md beside this file has the table.
 */
import { DEFAULTS } from '../config/defaults.js';
import { XbError } from '../errors.js';
import type { Body, Records } from '../types.js';
import { charsetOf, type Charset } from './charset.js';
import { parseCsvRecords } from './csv.js';
import { decodeContent, type DecodeLimits } from './decode.js';
import { parseFormRecords } from './form.js';
import { parseJsonRecords } from './json.js';
import { formatOf, parseMediaType, type HeaderValue } from './media-type.js';
import { parseMultipartRecords } from './multipart.js';
import { parseNdjsonRecords } from './ndjson.js';
import { parseProtobufRecords, type MessageType } from './protobuf.js';
import type { RecordRoot } from './recordRoot.js';
import { checkDeclaredType } from './sniff.js';
import { parseTextRecords } from './text.js';

export interface BodyLimits extends DecodeLimits {
  /** Most parts a multipart body may have. */
  readonly multipartParts: number;
}

export interface CsvSettings {
  /** Delimiter of `text/csv` bodies (TSV is always a tab); default `,`. */
  readonly delimiter?: string | undefined;
  /** Charset of CSV bodies whose Content-Type declares none; default: detected (charset.ts). */
  readonly charset?: Charset | undefined;
}

export interface ParseOptions {
  readonly recordRoot: RecordRoot;
  /** Media types the route takes (lower case); undefined: every type parse/ inspects. */
  readonly accept?: readonly string[] | undefined;
  readonly csv?: CsvSettings | undefined;
  /** The message type of `application/x-protobuf` bodies; undefined: the route takes none. */
  readonly protobuf?: MessageType | undefined;
  /** Default: DEFAULTS.limits. */
  readonly bodyLimits?: BodyLimits | undefined;
}

const DEFAULT_LIMITS: BodyLimits = DEFAULTS.limits;

/** Parse a body into records as its Content-Type says, within the route's options. */
export function parse(body: Body, options: ParseOptions): Records {
  // No bytes, nothing to inspect: a bodiless POST carries no data whatever its headers say.
  if (body.bytes.length === 0) return { records: [] };
  const type = inspectedType(body, options);
  const limits = options.bodyLimits ?? DEFAULT_LIMITS;
  const bytes = decodeContent(body.bytes, body.contentEncoding, limits);
  return { records: parseAs(bytes, type, options, limits, 'the body', 0) };
}

/** The body's media type, if parse/ inspects it on this route; XB_BODY_UNSUPPORTED_TYPE if not. */
export function inspectedType(body: Pick<Body, 'contentType'>, options: ParseOptions): HeaderValue {
  const header = body.contentType;
  const type = header === undefined ? undefined : parseMediaType(header);
  if (!type) throw new XbError('XB_BODY_UNSUPPORTED_TYPE', header === undefined ? 'the request has no content-type' : 'the request content-type is malformed');
  if (options.accept && !options.accept.includes(type.value)) {
    throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `this route takes ${options.accept.join(', ')} (routes[].accept); got ${type.value}`);
  }
  if (!formatOf(type.value)) throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `${type.value} bodies cannot be inspected`);
  return type;
}

function parseAs(bytes: Buffer, type: HeaderValue, options: ParseOptions, limits: BodyLimits, where: string, depth: number): unknown[] {
  const format = formatOf(type.value);
  const charset = (): Charset | undefined => charsetOf(type.params.get('charset'), where);
  switch (format) {
    case 'json':
      return parseJsonRecords(bytes, charset(), options.recordRoot, where);
    case 'ndjson':
      return parseNdjsonRecords(bytes, charset(), where);
    case 'csv':
    case 'tsv':
      checkDeclaredType(bytes, format, type.value, where);
      return parseCsvRecords(
        bytes,
        {
          delimiter: format === 'tsv' ? '\t' : (options.csv?.delimiter ?? DEFAULTS.route.csv.delimiter),
          // The request's own charset parameter first, then the route's.
          charset: charset() ?? options.csv?.charset,
          label: format.toUpperCase(),
        },
        where,
      );
    case 'form':
      checkDeclaredType(bytes, format, type.value, where);
      return parseFormRecords(bytes, charset(), where);
    case 'text':
      return parseTextRecords(bytes, charset(), where);
    case 'protobuf':
      if (!options.protobuf) throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `${where} is ${type.value}, and the route names no message type (routes[].protobuf)`);
      return parseProtobufRecords(bytes, options.protobuf, options.recordRoot, where);
    case 'multipart':
      if (depth > 0) throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `${where} is ${type.value}; nested multipart is not inspected`);
      return parseMultipartRecords(bytes, type.params.get('boundary'), limits.multipartParts, (b, t, w) => parseAs(b, t, options, limits, w, depth + 1), where);
    case undefined:
      throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `${where} is ${type.value}, which cannot be inspected`);
  }
}
