/**
 * Streaming parse of spooled bodies: the same records as the in-memory parse of the same bytes,
 * whatever the chunk and batch sizes (rows, quoted line breaks and multi-byte characters split
 * across chunks), with the same encodings, charsets and errors.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, deflateRawSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { XbError } from '../../../agent/errors.js';
import { parseSpooled, streams } from '../../../agent/parse/stream.js';
import type { Body } from '../../../agent/types.js';
import { body, records, root } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'xb-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function spooled(bytes: Buffer, contentType: string, contentEncoding?: string): Body & { spooled: NonNullable<Body['spooled']> } {
  const file = join(dir, `b${n++}`);
  writeFileSync(file, bytes, { mode: 0o600 });
  return { bytes: Buffer.alloc(0), contentType, contentEncoding, spooled: { file, size: bytes.length, sha256: createHash('sha256').update(bytes).digest() } };
}

async function streamed(b: Body & { spooled: NonNullable<Body['spooled']> }, chunkBytes: number, batchRecords: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const batch of parseSpooled(b, root(), { chunkBytes, batchRecords })) {
    expect(batch.length).toBeLessThanOrEqual(batchRecords);
    out.push(...batch);
  }
  return out;
}

async function refusal(p: Promise<unknown>): Promise<XbError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof XbError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

const CSV = [
  'orderNo,shipperName,shipperPhone,remark',
  'O-1,张三,13900000001,"第一行\r\n第二行, 带逗号"',
  '',
  'O-2,李四,13900000002,"say ""hi"""',
  'O-3,王五,13900000003,plain "quote" inside',
  'O-4,"赵六",13900000004,',
].join('\r\n');

describe('parseSpooled', () => {
  it('gives the in-memory records for CSV and TSV, whatever the chunk and batch sizes', async () => {
    for (const [text, type] of [
      [CSV, 'text/csv'],
      [CSV + '\n', 'text/csv; charset=utf-8'],
      [CSV.replaceAll(',', '\t'), 'text/tab-separated-values'],
    ] as const) {
      const bytes = Buffer.from(text);
      const expected = records(body(bytes, type));
      expect(expected.length).toBe(4);
      for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) for (const batch of [1, 3, 2000]) expect(await streamed(spooled(bytes, type), chunk, batch)).toEqual(expected);
    }
  });

  it('gives the in-memory records for NDJSON, text, gzip, raw deflate and GBK', async () => {
    const nd = Buffer.from('{"a":"张三","phone":"13900000001"}\r\n\n{"b":[1,2]}\n  \n{"c":null}');
    expect(await streamed(spooled(nd, 'application/x-ndjson'), 5, 2)).toEqual(records(body(nd, 'application/x-ndjson')));
    const gz = gzipSync(Buffer.from(CSV));
    expect(await streamed(spooled(gz, 'text/csv', 'gzip'), 4, 2)).toEqual(records(body(gz, 'text/csv', 'gzip')));
    const raw = deflateRawSync(nd);
    expect(await streamed(spooled(raw, 'application/x-ndjson', 'deflate'), 3, 2)).toEqual(records(body(nd, 'application/x-ndjson')));
    const gbk = iconv.encode(CSV, 'gbk');
    expect(await streamed(spooled(gbk, 'text/csv'), 3, 2)).toEqual(records(body(gbk, 'text/csv')));
    expect(await streamed(spooled(gbk, 'text/csv; charset=gbk'), 3, 2)).toEqual(records(body(gbk, 'text/csv')));
    const text = Buffer.from('客户 13900000001\n身份证 x\n');
    const lines = (await streamed(spooled(text, 'text/plain'), 4, 10)) as { text: string }[];
    expect(lines.map((r) => r.text).join('')).toBe((records(body(text, 'text/plain'))[0] as { text: string }).text);
  });

  it('refuses what the in-memory parse refuses, with the same codes', async () => {
    expect((await refusal(streamed(spooled(Buffer.from('a,b\n"x,1\n'), 'text/csv'), 2, 2))).code).toBe('XB_PARSE_CSV_INVALID');
    expect((await refusal(streamed(spooled(Buffer.from('a,a\n1,2\n'), 'text/csv'), 2, 2))).code).toBe('XB_PARSE_CSV_INVALID');
    expect((await refusal(streamed(spooled(Buffer.from('{"a":1}\n{oops\n'), 'application/x-ndjson'), 3, 2))).message).toMatch(/line 2 is not valid JSON/);
    expect((await refusal(streamed(spooled(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xff, 0x0a]), 'text/csv; charset=utf-8'), 2, 2))).code).toBe('XB_PARSE_CSV_INVALID');
    expect((await refusal(streamed(spooled(Buffer.from('not gzip'), 'text/csv', 'gzip'), 2, 2))).code).toBe('XB_PARSE_ENCODING_INVALID');
    expect((await refusal(streamed(spooled(gzipSync(Buffer.alloc(1 << 20, 0x20)), 'text/plain', 'gzip'), 1024, 2))).code).toBe('XB_BODY_DECOMPRESSED_TOO_LARGE');
    expect((await refusal(streamed(spooled(Buffer.from('{}'), 'application/json'), 2, 2))).code).toBe('XB_BODY_TOO_LARGE_TO_INSPECT');
  });

  it('names the formats that stream', () => {
    expect(streams({ contentType: 'text/csv' }, root())).toBe(true);
    expect(streams({ contentType: 'application/x-ndjson' }, root())).toBe(true);
    expect(streams({ contentType: 'text/plain; charset=gbk' }, root())).toBe(true);
    expect(streams({ contentType: 'application/json' }, root())).toBe(false);
    expect(streams({ contentType: 'multipart/form-data; boundary=x' }, root())).toBe(false);
  });
});

describe('bad input in a streamed body (issue 9)', () => {
  const ID = '110101199003074518';
  it('a NUL character is refused in the chunk it arrives in, at its character position', async () => {
    const csv = Buffer.from(`a,b\n${'x,y\n'.repeat(500)}${ID}\u0000,1\n`);
    const err = await refusal(streamed(spooled(csv, 'text/csv'), 64, 10));
    expect(err.code).toBe('XB_PARSE_CSV_INVALID');
    expect(err.message).toMatch(new RegExp(`contains a NUL character \\(U\\+0000\\) at character ${csv.indexOf(0) }`));
    expect(err.message).not.toContain(ID);
    expect((await refusal(streamed(spooled(Buffer.from(`${ID}\u0000`), 'text/plain'), 4, 10))).code).toBe('XB_PARSE_TEXT_INVALID');
  });

  it('an NDJSON line with a repeated key keeps every value; one nested too deep is refused', async () => {
    const ndjson = Buffer.from(`{"a":1}\n{"note":"${ID}","note":"x"}\n`);
    expect(await streamed(spooled(ndjson, 'application/x-ndjson'), 7, 1)).toEqual([{ a: 1 }, { note: [ID, 'x'] }]);
    const deep = await refusal(streamed(spooled(Buffer.from(`{"a":1}\n${'['.repeat(300)}${']'.repeat(300)}\n`), 'application/x-ndjson'), 50, 10));
    expect(deep.code).toBe('XB_PARSE_TOO_DEEP');
    expect(deep.message).toMatch(/line 2 nests deeper than 256 levels/);
  });
});
