/**
 * Content-Encoding: gzip (and x-gzip), deflate (zlib-wrapped or raw, as senders do both), br.
 * Inspection decodes a copy; the bytes as received are what is forwarded. Two limits keep a
 * compression bomb from taking the gateway's memory, enforced while inflating (zlib's
 * `maxOutputLength`), not after:
 * - `decompressedBytes`: the decoded body may not exceed it;
 * - `maxRatio`: the decoded body may not exceed `maxRatio` × the body's size as received.
 * Either exceeded → 413 XB_BODY_DECOMPRESSED_TOO_LARGE; at most `min(both)` bytes are ever held.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { XbError } from '../errors.js';

export interface DecodeLimits {
  /** Largest decoded body, bytes. */
  readonly decompressedBytes: number;
  /** Largest decoded size ÷ size as received. */
  readonly maxRatio: number;
}

/** At most this many codings are undone (`gzip, br`); more is a 415, not a reason to try. */
const MAX_CODINGS = 2;

type Decoder = (bytes: Buffer, opts: ZlibOptions) => Buffer;

const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ['gzip', gunzipSync],
  ['x-gzip', gunzipSync],
  // RFC 9110 says zlib format; some servers send raw deflate. The zlib header tells them apart.
  ['deflate', (b, o) => (isZlibHeader(b) ? inflateSync(b, o) : inflateRawSync(b, o))],
  ['br', brotliDecompressSync],
]);

/** RFC 1950: CM = 8 (deflate) and the header's 16 bits a multiple of 31. */
export const isZlibHeader = (b: Buffer): boolean => b.length >= 2 && ((b[0] as number) & 0x0f) === 8 && (((b[0] as number) << 8) | (b[1] as number)) % 31 === 0;

/** The body with its Content-Encoding undone, within `limits`; the input itself when there is none. */
export function decodeContent(bytes: Buffer, contentEncoding: string | undefined, limits: DecodeLimits): Buffer {
  const codings = codingsOf(contentEncoding);
  if (codings.length === 0) return bytes;
  const byRatio = Math.floor(limits.maxRatio * bytes.length);
  const allowed = Math.min(limits.decompressedBytes, byRatio);
  let out = bytes;
  // Codings are listed in the order they were applied: undo the last first.
  for (const coding of codings.reverse()) {
    try {
      out = (DECODERS.get(coding) as Decoder)(out, { maxOutputLength: Math.max(1, allowed) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw encodingInvalid(coding, err);
      throw decodedTooLarge(coding, bytes.length, allowed, limits);
    }
  }
  return out;
}

export const encodingInvalid = (coding: string, err: unknown) =>
  new XbError('XB_PARSE_ENCODING_INVALID', `the body does not decode as ${coding} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);

export const decodedTooLarge = (coding: string, received: number, allowed: number, limits: DecodeLimits) =>
  allowed === limits.decompressedBytes
    ? new XbError('XB_BODY_DECOMPRESSED_TOO_LARGE', `the ${coding}-encoded body decodes to more than ${limits.decompressedBytes} bytes (limits.decompressedBytes)`, { limitBytes: limits.decompressedBytes })
    : new XbError('XB_BODY_DECOMPRESSED_TOO_LARGE', `the ${coding}-encoded body of ${received} bytes decodes to more than ${limits.maxRatio} times its size (limits.maxRatio)`, { maxRatio: limits.maxRatio });

/** The codings of a Content-Encoding header, in the order applied; XB_BODY_ENCODED for ones not undone. */
export function codingsOf(contentEncoding: string | undefined): string[] {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const unknown = codings.find((c) => !DECODERS.has(c));
  if (unknown !== undefined) throw new XbError('XB_BODY_ENCODED', `Content-Encoding ${JSON.stringify(unknown.slice(0, 40))} is not inspected; use gzip, deflate or br`);
  if (codings.length > MAX_CODINGS) throw new XbError('XB_BODY_ENCODED', `Content-Encoding applies ${codings.length} codings; at most ${MAX_CODINGS} are undone`);
  return codings;
}
