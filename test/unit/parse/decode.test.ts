/**
 * Content-Encoding: gzip, deflate (zlib and raw) and br are decoded into a copy for inspection,
 * within the decompressed-size and ratio limits; a compression bomb is stopped while inflating.
 */
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../../agent/parse/decode.js';
import { body, records, refusal } from './support.js';

const JSON_BODY = Buffer.from(JSON.stringify({ shipperName: '张三', shipperPhone: '13900000001' }));
const LIMITS = { decompressedBytes: 1024 * 1024, maxRatio: 200 };

describe('codings', () => {
  it.each([
    { coding: 'gzip', bytes: gzipSync(JSON_BODY) },
    { coding: 'x-gzip', bytes: gzipSync(JSON_BODY) },
    { coding: 'deflate', bytes: deflateSync(JSON_BODY) },
    { coding: 'deflate', bytes: deflateRawSync(JSON_BODY), what: 'raw' },
    { coding: 'br', bytes: brotliCompressSync(JSON_BODY) },
    { coding: 'GZIP', bytes: gzipSync(JSON_BODY) },
    { coding: 'identity', bytes: JSON_BODY },
    { coding: 'deflate, br', bytes: brotliCompressSync(deflateSync(JSON_BODY)), what: 'stacked' },
  ])('decodes $coding $what', ({ coding, bytes }) => {
    expect(decodeContent(bytes, coding, LIMITS).equals(JSON_BODY)).toBe(true);
    expect(records(body(bytes, 'application/json', coding))).toEqual([{ shipperName: '张三', shipperPhone: '13900000001' }]);
  });

  it('returns the body itself when there is nothing to undo', () => {
    expect(decodeContent(JSON_BODY, undefined, LIMITS)).toBe(JSON_BODY);
  });

  it('refuses a coding it does not know, and more than two, with 415 XB_BODY_ENCODED', () => {
    expect(refusal(() => decodeContent(JSON_BODY, 'compress', LIMITS))).toMatchObject({ code: 'XB_BODY_ENCODED', status: 415 });
    expect(refusal(() => decodeContent(JSON_BODY, 'zstd', LIMITS)).message).toMatch(/"zstd" is not inspected/);
    expect(refusal(() => decodeContent(JSON_BODY, 'gzip, gzip, gzip', LIMITS)).message).toMatch(/at most 2/);
  });

  it.each([
    { what: 'gzip cut short', coding: 'gzip', bytes: gzipSync(JSON_BODY).subarray(0, 20) },
    { what: 'not gzip at all', coding: 'gzip', bytes: JSON_BODY },
    { what: 'not deflate', coding: 'deflate', bytes: Buffer.from('hello, world') },
    { what: 'not brotli', coding: 'br', bytes: JSON_BODY },
  ])('refuses $what with 400 XB_PARSE_ENCODING_INVALID', ({ coding, bytes }) => {
    const err = refusal(() => decodeContent(bytes, coding, LIMITS));
    expect(err).toMatchObject({ code: 'XB_PARSE_ENCODING_INVALID', status: 400 });
    expect(err.message).not.toContain('13900000001');
  });
});

describe('limits', () => {
  it('refuses a body decoding past decompressedBytes with 413, and takes one exactly at it', () => {
    const exact = Buffer.alloc(4096, 'a');
    const limits = { decompressedBytes: 4096, maxRatio: 1e9 };
    expect(decodeContent(gzipSync(exact), 'gzip', limits).length).toBe(4096);
    const err = refusal(() => decodeContent(gzipSync(Buffer.alloc(4097, 'a')), 'gzip', limits));
    expect(err).toMatchObject({ code: 'XB_BODY_DECOMPRESSED_TOO_LARGE', status: 413 });
    expect(err.message).toMatch(/limits\.decompressedBytes/);
  });

  it('refuses a body decoding to more than maxRatio times its size', () => {
    const zeros = gzipSync(Buffer.alloc(100_000)); // ~100 bytes: a ratio near 1000
    const err = refusal(() => decodeContent(zeros, 'gzip', { decompressedBytes: 1 << 30, maxRatio: 200 }));
    expect(err).toMatchObject({ code: 'XB_BODY_DECOMPRESSED_TOO_LARGE', status: 413 });
    expect(err.message).toMatch(/limits\.maxRatio/);
    expect(decodeContent(zeros, 'gzip', { decompressedBytes: 1 << 30, maxRatio: 2000 }).length).toBe(100_000);
  });

  it('stops a bomb while inflating: a 64 MiB limit holds against a body that would expand to gigabytes', () => {
    // Concatenated gzip members: ~4 MB on the wire, 4 GiB inflated.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    const before = process.memoryUsage().arrayBuffers;
    const err = refusal(() => decodeContent(bomb, 'gzip', { decompressedBytes: 64 * 1024 * 1024, maxRatio: 1e6 }));
    expect(err.code).toBe('XB_BODY_DECOMPRESSED_TOO_LARGE');
    // Whatever was held while inflating is bounded by the limit, not by the 4 GiB it would take.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });
});
