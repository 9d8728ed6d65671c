/**
 * parse: Body → Records.
 * In: the buffered request body and the route's content type and record root.
 * Out: the records to inspect, as plain JS values.
 * Never: guess. A body that does not parse as the route says is uninspectable (XB_PARSE_*), and
 * the pipeline refuses it on fail-closed routes.
 */
import { XbError } from '../errors.js';
import type { Body, Records } from '../types.js';
import type { RecordRoot } from './recordRoot.js';

export interface ParseOptions {
  readonly contentType: 'application/json';
  readonly recordRoot: RecordRoot;
}

export function parse(body: Body, options: ParseOptions): Records {
  if (body.contentEncoding && body.contentEncoding !== 'identity') {
    // Compressed bodies arrive with the inspection issue (gzip/deflate/br with bomb limits).
    throw new XbError('XB_BODY_ENCODED', `Content-Encoding ${body.contentEncoding} is not inspected yet; send the body uncompressed`);
  }
  const mediaType = body.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new XbError('XB_BODY_UNSUPPORTED_TYPE', `this route inspects ${options.contentType}; got ${mediaType ?? 'no content-type'}`);
  }
  const value = parseJson(body.bytes);
  return { records: recordsAt(value, options.recordRoot) };
}

function parseJson(bytes: Buffer): unknown {
  // A UTF-8 BOM is legal in the wild and illegal in JSON.parse.
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return JSON.parse(bytes.toString('utf8', start));
  } catch (err) {
    // V8's message quotes the body around the error, which may be PI: keep only the position.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new XbError('XB_PARSE_INVALID_JSON', `body is not valid JSON${at ? ` (error at character ${at})` : ''}`);
  }
}

function recordsAt(value: unknown, root: RecordRoot): unknown[] {
  let node = value;
  for (let i = 0; i < root.path.length; i++) {
    const key = root.path[i] as string;
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !(key in node)) {
      throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: no key "${root.path.slice(0, i + 1).join('.')}" in the body`);
    }
    node = (node as Record<string, unknown>)[key];
  }
  if (root.each && !Array.isArray(node)) {
    throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: expected an array, found ${node === null ? 'null' : typeof node}`);
  }
  if (Array.isArray(node)) return node;
  if (typeof node === 'object' && node !== null) return [node];
  throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: expected an object or an array, found ${node === null ? 'null' : typeof node}`);
}
