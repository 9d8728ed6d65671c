/**
 * Every kind of bad input of issue 9 through the data plane of a real gateway, against a real
 * recording upstream. A body the gateway cannot inspect as declared is refused with a 4xx problem
 * (stable code, a detail naming what and where, no value from the body) and the upstream receives
 * nothing. Kinds that are not wrong in themselves are inspected, not refused, and the test checks
 * they are inspected correctly: 10^5 tiny records, a huge field within the limits,
 * prototype-pollution keys, and repeated JSON keys (acceptance 4: every value is classified).
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { decisionLines, testEnv, type TestEnv } from '../helpers/gateway.js';
import { residentId } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const ROUTE = { recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery', failMode: 'closed' };
/** Small limits keep the bodies (and the test) small: bodies up to 2 MiB are inspected in memory. */
const LIMITS = { memoryBytes: 1024 * 1024, bodyBytes: 2 * 1024 * 1024, decompressedBytes: 8 * 1024 * 1024, maxRatio: 200 };
const SECRET = residentId(9001);
const JSON_TYPE = { 'content-type': 'application/json' };

describe('bad input through the data plane', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({
      limits: LIMITS,
      routes: [
        { ...ROUTE, id: 'flat', upstream: upstream.url, recordRoot: '$' },
        { ...ROUTE, id: 'shipments', upstream: upstream.url, recordRoot: '$.shipments[*]' },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  async function send(route: string, bytes: Buffer | string, headers: Record<string, string>) {
    const res = await fetch(`${gw.dataUrl}/${route}/v1/in`, { method: 'POST', headers, body: bytes });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Record<string, any>) : undefined };
  }

  /** Refused with this status, code and detail; a problem body naming the transfer, without the secret; nothing forwarded. */
  async function refused(bytes: Buffer | string, headers: Record<string, string>, status: number, code: string, detail: RegExp, route = 'flat') {
    const before = upstream.received.length;
    const res = await send(route, bytes, headers);
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json).toMatchObject({ status, code, decision: 'block' });
    expect(res.json?.['detail']).toMatch(detail);
    expect(res.json?.['transferId']).toBe(res.headers.get('x-xborder-transfer-id'));
    expect(res.text).not.toContain(SECRET);
    expect(res.text).not.toContain(SECRET.slice(0, 12));
    expect(upstream.received.length).toBe(before);
    expect(decisionLines(env.logLines).at(-1)).toMatchObject({ decision: 'block', errorCode: code });
  }

  /** Inspected and forwarded as sent; the decision line of the transfer. */
  async function inspected(route: string, bytes: Buffer | string, headers: Record<string, string>) {
    const before = upstream.received.length;
    const res = await send(route, bytes, headers);
    expect(res.status, res.text).toBe(201);
    expect(upstream.received.length).toBe(before + 1);
    expect(upstream.received.at(-1)?.body.equals(Buffer.from(bytes))).toBe(true);
    return decisionLines(env.logLines).at(-1) as Record<string, any>;
  }

  it('malformed JSON → 400 XB_PARSE_INVALID_JSON at a character position', async () => {
    await refused(`{"note": "${SECRET}", }`, JSON_TYPE, 400, 'XB_PARSE_INVALID_JSON', /not valid JSON \(error at character \d+\)/);
  });

  it('CSV with a ragged row → 400 XB_PARSE_CSV_INVALID naming the line (a short row is fine: it has only its own fields)', async () => {
    await refused(`idNumber,name\n${residentId(9002)},a\n${SECRET},b,extra\n`, { 'content-type': 'text/csv' }, 400, 'XB_PARSE_CSV_INVALID', /line 3 has 3 fields; the header names 2/);
  });

  it('invalid UTF-8 → 400, declared (its format’s code) or not (neither UTF-8 nor GB18030)', async () => {
    const bad = Buffer.concat([Buffer.from(`{"note":"${SECRET}`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    await refused(bad, { 'content-type': 'application/json; charset=utf-8' }, 400, 'XB_PARSE_INVALID_JSON', /is not valid UTF-8/);
    await refused(Buffer.concat([Buffer.from(`a\n${SECRET}`), Buffer.from([0xff, 0xff]), Buffer.from('\n')]), { 'content-type': 'text/csv' }, 400, 'XB_PARSE_CSV_INVALID', /neither valid UTF-8 nor valid GB18030/);
  });

  it('wrong declared content type → 400 (CSV declared JSON) or 415 XB_BODY_TYPE_MISMATCH (JSON declared CSV or form)', async () => {
    await refused(`idNumber,name\n${SECRET},a\n`, JSON_TYPE, 400, 'XB_PARSE_INVALID_JSON', /not valid JSON/);
    await refused(JSON.stringify({ idNumber: SECRET }), { 'content-type': 'text/csv' }, 415, 'XB_BODY_TYPE_MISMATCH', /declared text\/csv but is JSON/);
    await refused(JSON.stringify([{ idNumber: SECRET }]), { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'XB_BODY_TYPE_MISMATCH', /is JSON/);
  });

  it('truncated gzip → 400 XB_PARSE_ENCODING_INVALID naming the coding', async () => {
    const gz = gzipSync(JSON.stringify({ note: SECRET, pad: 'x'.repeat(2000) }));
    await refused(gz.subarray(0, gz.length - 12), { ...JSON_TYPE, 'content-encoding': 'gzip' }, 400, 'XB_PARSE_ENCODING_INVALID', /does not decode as gzip/);
  });

  it.each([
    { coding: 'gzip', encode: (b: Buffer) => gzipSync(b) },
    { coding: 'deflate', encode: (b: Buffer) => deflateSync(b) },
    { coding: 'br', encode: (b: Buffer) => brotliCompressSync(b) },
    { coding: 'gzip, br', encode: (b: Buffer) => brotliCompressSync(gzipSync(b)), what: 'nested' },
  ])('a $coding bomb $what → 413 XB_BODY_DECOMPRESSED_TOO_LARGE (limits.maxRatio), decoding stopped at the limit', async ({ coding, encode }) => {
    const bomb = encode(Buffer.concat([Buffer.from(`{"note":"${SECRET}","pad":"`), Buffer.alloc(4 * 1024 * 1024, 0x61), Buffer.from('"}')]));
    await refused(bomb, { ...JSON_TYPE, 'content-encoding': coding }, 413, 'XB_BODY_DECOMPRESSED_TOO_LARGE', /decodes to more than 200 times its size \(limits\.maxRatio\)/);
  });

  it('a bomb within the ratio but past limits.decompressedBytes → 413 naming that limit', async () => {
    // Random text compresses about 1.3:1 in base64, so the ratio holds; the decoded size does not.
    const big = Buffer.from(Array.from({ length: 9 * 1024 * 1024 / 64 }, (_, i) => `${String(i).padStart(16, '0')}${'q'.repeat(47)}\n`).join(''));
    await refused(gzipSync(big), { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, 413, 'XB_BODY_DECOMPRESSED_TOO_LARGE', /limits\.decompressedBytes/);
  });

  it('a huge single field: inspected within limits.bodyBytes (the ID at its end found), 413 past it', async () => {
    const id = residentId(9010);
    const line = await inspected('flat', JSON.stringify({ note: `${'备注'.repeat(250_000)} ${id}` }), JSON_TYPE);
    expect(line).toMatchObject({ decision: 'allow', records: 1, persons: 1, dataItems: ['resident-id-number'] });
    await refused(JSON.stringify({ note: `${'x'.repeat(3 * 1024 * 1024)} ${SECRET}` }), JSON_TYPE, 413, 'XB_BODY_TOO_LARGE_TO_INSPECT', /limits\.bodyBytes/);
  });

  it('10^5 tiny records are inspected, every one (records counted, the one ID among them found)', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => (i === 77_777 ? `{"q":"${residentId(9011)}"}` : `{"q":${i % 10}}`));
    const line = await inspected('flat', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(line).toMatchObject({ decision: 'allow', records: 100_000, persons: 1, dataItems: ['resident-id-number'] });
  });

  it('deep nesting → 400 XB_PARSE_TOO_DEEP: past 256 levels before parsing, past 64 in a record when classified', async () => {
    await refused('['.repeat(200_000) + ']'.repeat(200_000), JSON_TYPE, 400, 'XB_PARSE_TOO_DEEP', /the body nests deeper than 256 levels/);
    await refused('{"a":'.repeat(100) + `"${SECRET}"` + '}'.repeat(100), JSON_TYPE, 400, 'XB_PARSE_TOO_DEEP', /record nests deeper than 64 levels/);
  });

  it('prototype-pollution keys are fields: nothing polluted, their values still classified', async () => {
    const ids = [residentId(9020), residentId(9021), residentId(9022)];
    const body = `{"__proto__":{"note":"${ids[0]}","isAdmin":true},"constructor":{"prototype":{"note":"${ids[1]}"}},"prototype":"${ids[2]}"}`;
    const line = await inspected('flat', body, JSON_TYPE);
    expect(line).toMatchObject({ decision: 'allow', records: 1, persons: 3, dataItems: ['resident-id-number'] });
    // The gateway runs in this process: its prototypes are this test's.
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['note']).toBeUndefined();
    const csv = await inspected('flat', `__proto__,constructor\n${residentId(9023)},x\n`, { 'content-type': 'text/csv' });
    expect(csv).toMatchObject({ decision: 'allow', records: 1, persons: 1 });
  });

  it('NUL bytes → 400 in every text format: raw, %00 or \\u0000', async () => {
    await refused(`{"note":"${SECRET}\\u0000"}`, JSON_TYPE, 400, 'XB_PARSE_INVALID_JSON', /a \\u0000 escape, a NUL character, at character \d+/);
    await refused(`idNumber\n${SECRET}\u0000\n`, { 'content-type': 'text/csv' }, 400, 'XB_PARSE_CSV_INVALID', /NUL character \(U\+0000\) at character \d+/);
    await refused(`idNumber=${SECRET}%00`, { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'XB_PARSE_FORM_INVALID', /NUL character/);
  });

  describe('duplicate JSON keys (acceptance 4): every value classified', () => {
    it.each([
      { what: 'the ID in the first `note`', n: 9030, body: (id: string) => `{"note":"${id}","note":"x"}` },
      { what: 'the ID in the last `note`', n: 9031, body: (id: string) => `{"note":"x","note":"${id}"}` },
    ])('$what is found and counted', async ({ n, body }) => {
      const line = await inspected('flat', body(residentId(n)), JSON_TYPE);
      expect(line).toMatchObject({ decision: 'allow', records: 1, persons: 1, dataItems: ['resident-id-number'] });
    });

    it('in an NDJSON line too; a key repeated on the record root path is refused (400 XB_PARSE_RECORD_ROOT)', async () => {
      const line = await inspected('flat', `{"a":1}\n{"note":"${residentId(9032)}","note":"x"}\n`, { 'content-type': 'application/x-ndjson' });
      expect(line).toMatchObject({ records: 2, persons: 1 });
      await refused(`{"shipments":[{"note":"${SECRET}"}],"shipments":[]}`, JSON_TYPE, 400, 'XB_PARSE_RECORD_ROOT', /key "shipments" appears 2 times/, 'shipments');
    });
  });
});
