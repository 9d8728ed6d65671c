/**
 * Media types and header parameters: which parser reads which `Content-Type`, and the
 * `type; name=value` syntax (RFC 9110 §5.6.6) shared by Content-Type and Content-Disposition.
 */

export type Format = 'json' | 'ndjson' | 'csv' | 'tsv' | 'form' | 'multipart' | 'protobuf' | 'text';

/** Every media type parse/ inspects, by format. Any other `…+json` type is JSON too. */
export const MEDIA_TYPES: ReadonlyMap<string, Format> = new Map<string, Format>([
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
  ['application/jsonl', 'ndjson'],
  ['application/x-jsonlines', 'ndjson'],
  ['text/csv', 'csv'],
  ['application/csv', 'csv'],
  ['text/tab-separated-values', 'tsv'],
  ['application/x-www-form-urlencoded', 'form'],
  ['multipart/form-data', 'multipart'],
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
  ['text/plain', 'text'],
]);

/** The format of a (lower-case) media type, or undefined when parse/ cannot inspect it. */
export const formatOf = (type: string): Format | undefined => MEDIA_TYPES.get(type) ?? (/^application\/[^/]+\+json$/.test(type) ? 'json' : undefined);

export interface HeaderValue {
  /** The value before the first `;`, lower-cased: `text/csv`, `form-data`. */
  readonly value: string;
  /** Parameters by lower-cased name; quoted strings unquoted. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** `text/csv; charset="gbk"` → `{ value: 'text/csv', params: { charset: 'gbk' } }`; undefined if malformed or a parameter repeats. */
export function parseHeaderValue(header: string): HeaderValue | undefined {
  const n = header.length;
  const semi = header.indexOf(';');
  const value = header.slice(0, semi < 0 ? n : semi).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? n : semi + 1;
  while (i < n) {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ';')) i++;
    if (i >= n) break;
    const eq = header.indexOf('=', i);
    const nextSemi = header.indexOf(';', i);
    // A parameter without `=` says nothing parse/ reads; skip it rather than refuse the body.
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      i = nextSemi < 0 ? n : nextSemi + 1;
      continue;
    }
    const name = header.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) return undefined;
    i = eq + 1;
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
    let v = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i] as string;
        if (c === '\\' && i + 1 < n) {
          v += header[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      if (!closed) return undefined;
      while (i < n && header[i] !== ';') {
        if (header[i] !== ' ' && header[i] !== '\t') return undefined;
        i++;
      }
    } else {
      const end = header.indexOf(';', i);
      v = header.slice(i, end < 0 ? n : end).trim();
      i = end < 0 ? n : end;
    }
    // Two boundaries or two charsets: which one the upstream reads is anyone's guess.
    if (params.has(name)) return undefined;
    params.set(name, v);
  }
  return { value, params };
}

/** A Content-Type header as media type and parameters; undefined when it is not `type/subtype[; …]`. */
export function parseMediaType(header: string): HeaderValue | undefined {
  const parsed = parseHeaderValue(header);
  return parsed && MEDIA_TYPE.test(parsed.value) ? parsed : undefined;
}
