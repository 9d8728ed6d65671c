/**
 * Every content type and Content-Encoding through the data plane, against a real upstream: the
 * records are found and counted, and the upstream receives the ORIGINAL bytes with the original
 * content-type and content-encoding (inspection decodes a copy). Malformed bodies of each type get
 * a 4xx problem with its code and are never forwarded; a gzip bomb is refused with 413 within the
 * decompression limit's memory.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { decisionLines, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { residentId, shipment, shipperPhone } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const RECIPIENT = { name: 'Example Logistics Pte. Ltd.', country: 'SG' };
const ROUTE = { upstream: '', recipient: RECIPIENT, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' };
const COLUMNS = ['orderNo', 'shipperName', 'shipperPhone', 'shippingAddress', 'shippingTime', 'goodsName', 'quantity'] as const;
const B = 'xb-e2e-boundary';

/** Shipments for persons from..from+n-1: every test sends persons of its own. */
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => shipment(from + i, `O-${from + i}`));
const table = (rows: Record<string, unknown>[], sep: string) => [COLUMNS.join(sep), ...rows.map((r) => COLUMNS.map((c) => String(r[c])).join(sep))].join('\r\n') + '\r\n';
const form = (r: Record<string, unknown>) => COLUMNS.map((c) => `${c}=${encodeURIComponent(String(r[c]))}`).join('&');
function multipart(parts: { headers: string[]; content: string | Buffer }[]): Buffer {
  const chunks = parts.flatMap((p) => [Buffer.from(`--${B}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`), Buffer.from(p.content), Buffer.from('\r\n')]);
  return Buffer.concat([...chunks, Buffer.from(`--${B}--\r\n`)]);
}

describe('content types and encodings through the data plane', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  let Batch: protobuf.Type;

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    // The route names its .proto files relative to the config file.
    mkdirSync(join(env.dir, 'proto'));
    for (const f of ['shipments.proto', 'common.proto']) copyFileSync(join(REPO, 'test', 'fixtures', 'proto', f), join(env.dir, 'proto', f));
    // Field names as the .proto writes them (snake_case), as the gateway reads them.
    Batch = new protobuf.Root().loadSync(join(env.dir, 'proto', 'shipments.proto'), { keepCase: true }).lookupType('xborder.test.ShipmentBatch');
    gw = await env.start({
      routes: [
        {
          ...ROUTE,
          id: 'shipments',
          upstream: upstream.url,
          recordRoot: '$.shipments[*]',
          protobuf: { files: ['proto/shipments.proto'], messageType: 'xborder.test.ShipmentBatch' },
        },
        { ...ROUTE, id: 'gbk-csv', upstream: upstream.url, accept: ['text/csv'], csv: { delimiter: ';', charset: 'gbk' } },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  async function send(route: string, bytes: Buffer, headers: Record<string, string>) {
    const res = await fetch(`${gw.dataUrl}/${route}/v1/upload?batch=1`, { method: 'POST', headers, body: bytes });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined };
  }

  /** Sends, expects 201 from the upstream, and checks it received exactly these bytes and headers. */
  async function roundTrip(route: string, bytes: Buffer, headers: Record<string, string>) {
    const before = upstream.received.length;
    const res = await send(route, bytes, headers);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('x-xborder-decision')).toBe('allow');
    expect(upstream.received.length).toBe(before + 1);
    const got = upstream.received.at(-1);
    expect(got?.url).toBe('/v1/upload?batch=1');
    expect(got?.body.equals(bytes)).toBe(true);
    for (const [k, v] of Object.entries(headers)) expect(got?.headers[k]).toBe(v);
    return decisionLines(env.logLines).at(-1) as Record<string, any>;
  }

  /** Sends, expects a problem with this status and code, and nothing forwarded. */
  async function refused(route: string, bytes: Buffer, headers: Record<string, string>, status: number, code: string) {
    const before = upstream.received.length;
    const res = await send(route, bytes, headers);
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // Over a resource limit the body is refused as such (on every route); otherwise it is uninspectable.
    const reason = code === 'XB_BODY_DECOMPRESSED_TOO_LARGE' || code === 'XB_BODY_TOO_MANY_PARTS' ? 'over-limit' : 'uninspectable';
    expect(res.json).toMatchObject({ status, code, decision: 'block', reason });
    expect(res.json.transferId).toBe(res.headers.get('x-xborder-transfer-id'));
    expect(upstream.received.length).toBe(before);
    expect(decisionLines(env.logLines).at(-1)).toMatchObject({ decision: 'block', errorCode: code });
    return res.json as Record<string, any>;
  }

  describe('every format round-trips', () => {
    const gbkRows = batch(700, 3);
    it.each([
      { what: 'JSON at the record root', type: 'application/json', body: () => Buffer.from(JSON.stringify({ shipments: batch(100, 3) })), records: 3 },
      { what: 'NDJSON', type: 'application/x-ndjson', body: () => Buffer.from(batch(200, 3).map((r) => JSON.stringify(r)).join('\n')), records: 3 },
      { what: 'CSV', type: 'text/csv', body: () => Buffer.from(table(batch(300, 3), ',')), records: 3 },
      { what: 'CSV with a UTF-8 BOM', type: 'text/csv; charset=utf-8', body: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(table(batch(350, 2), ','))]), records: 2 },
      { what: 'TSV', type: 'text/tab-separated-values', body: () => Buffer.from(table(batch(400, 3), '\t')), records: 3 },
      { what: 'GBK CSV, declared', type: 'text/csv; charset=gbk', body: () => iconv.encode(table(batch(500, 3), ','), 'gbk'), records: 3 },
      { what: 'GB18030 CSV, detected', type: 'text/csv', body: () => iconv.encode(table(batch(600, 3), ','), 'gb18030'), records: 3 },
      { what: 'a URL-encoded form', type: 'application/x-www-form-urlencoded', body: () => Buffer.from(form(shipment(800, 'F-1'))), records: 1 },
      {
        what: 'multipart: text fields, a CSV file and a JSON part',
        type: `multipart/form-data; boundary=${B}`,
        body: () =>
          multipart([
            ...COLUMNS.map((c) => ({ headers: [`Content-Disposition: form-data; name="${c}"`], content: String(shipment(900, 'M-1')[c]) })),
            { headers: ['Content-Disposition: form-data; name="file"; filename="orders.csv"', 'Content-Type: text/csv'], content: table(batch(901, 2), ',') },
            { headers: ['Content-Disposition: form-data; name="meta"; filename="batch.json"', 'Content-Type: application/json'], content: JSON.stringify({ shipments: batch(903, 1) }) },
          ]),
        records: 4,
      },
      {
        what: 'protobuf at the record root',
        type: 'application/x-protobuf',
        body: () =>
          Buffer.from(
            Batch.encode(
              Batch.fromObject({ batch_id: 'B-1', shipments: [0, 1].map((i) => ({ order_no: `P-${i}`, shipper_name: `发货人${1000 + i}`, shipper_phone: shipperPhone(1000 + i), quantity: 1 })) }),
            ).finish(),
          ),
        records: 2,
      },
    ])('$what ($type)', async ({ type, body, records }) => {
      const line = await roundTrip('shipments', body(), { 'content-type': type });
      expect(line).toMatchObject({ decision: 'allow', records, persons: records });
      expect(line['dataItems']).toEqual(expect.arrayContaining(['shipper-name']));
    });

    it('text/plain: one record, PI found by the value detectors alone', async () => {
      const line = await roundTrip('shipments', Buffer.from(`请核对客户身份证 ${residentId(42)}，谢谢`), { 'content-type': 'text/plain; charset=utf-8' });
      expect(line).toMatchObject({ decision: 'allow', records: 1, persons: 1 });
      expect(line['dataItems']).toEqual(['resident-id-number']);
    });

    it('a multipart body from a standard encoder (fetch FormData), with a GBK CSV file detected', async () => {
      const fd = new FormData();
      fd.append('batchId', 'B-7');
      fd.append('file', new Blob([iconv.encode(table(batch(1100, 2), ','), 'gbk')], { type: 'text/csv' }), '发货单.csv');
      const req = new Request('http://encoder.invalid/', { method: 'POST', body: fd });
      const bytes = Buffer.from(await req.arrayBuffer());
      const line = await roundTrip('shipments', bytes, { 'content-type': req.headers.get('content-type') as string });
      expect(line).toMatchObject({ records: 3, persons: 2 });
    });

    it('a route restricted by accept, with its own CSV delimiter and charset', async () => {
      const line = await roundTrip('gbk-csv', iconv.encode(table(gbkRows, ';'), 'gbk'), { 'content-type': 'text/csv' });
      expect(line).toMatchObject({ records: 3, persons: 3 });
      await refused('gbk-csv', Buffer.from(JSON.stringify(gbkRows)), { 'content-type': 'application/json' }, 415, 'XB_BODY_UNSUPPORTED_TYPE');
    });
  });

  describe('every encoding round-trips, the compressed bytes forwarded as received', () => {
    const json = (from: number) => Buffer.from(JSON.stringify({ shipments: batch(from, 3) }));
    it.each([
      { coding: 'gzip', encode: gzipSync, from: 2000 },
      { coding: 'deflate', encode: deflateSync, from: 2100 },
      { coding: 'deflate', encode: deflateRawSync, from: 2200, what: '(raw)' },
      { coding: 'br', encode: brotliCompressSync, from: 2300 },
      { coding: 'gzip, br', encode: (b: Buffer) => brotliCompressSync(gzipSync(b)), from: 2400 },
    ])('$coding $what', async ({ coding, encode, from }) => {
      const line = await roundTrip('shipments', encode(json(from)), { 'content-type': 'application/json', 'content-encoding': coding });
      expect(line).toMatchObject({ decision: 'allow', records: 3, persons: 3 });
    });

    it('a gzip CSV and a brotli multipart too', async () => {
      expect(await roundTrip('shipments', gzipSync(table(batch(2500, 2), ',')), { 'content-type': 'text/csv', 'content-encoding': 'gzip' })).toMatchObject({ records: 2 });
      const mp = multipart([{ headers: ['Content-Disposition: form-data; name="f"; filename="a.ndjson"', 'Content-Type: application/x-ndjson'], content: batch(2600, 2).map((r) => JSON.stringify(r)).join('\n') }]);
      expect(await roundTrip('shipments', brotliCompressSync(mp), { 'content-type': `multipart/form-data; boundary=${B}`, 'content-encoding': 'br' })).toMatchObject({ records: 2 });
    });
  });

  describe('malformed bodies: 4xx with a code, never forwarded', () => {
    const SECRET = shipperPhone(9999);
    it.each([
      { what: 'JSON', type: 'application/json', body: `{"shipments": [{"shipperPhone": "${SECRET}"}`, status: 400, code: 'XB_PARSE_INVALID_JSON' },
      { what: 'NDJSON', type: 'application/x-ndjson', body: `{"a":1}\n{"shipperPhone": ${SECRET}}}\n`, status: 400, code: 'XB_PARSE_INVALID_JSON' },
      { what: 'CSV', type: 'text/csv', body: `shipperPhone,b\n"${SECRET},1\n`, status: 400, code: 'XB_PARSE_CSV_INVALID' },
      { what: 'TSV', type: 'text/tab-separated-values', body: `shipperPhone\n${SECRET}\t1\n`, status: 400, code: 'XB_PARSE_CSV_INVALID' },
      { what: 'a form', type: 'application/x-www-form-urlencoded', body: `shipperPhone=${SECRET}%zz`, status: 400, code: 'XB_PARSE_FORM_INVALID' },
      { what: 'multipart cut short', type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\nContent-Disposition: form-data; name="shipperPhone"\r\n\r\n${SECRET}`, status: 400, code: 'XB_PARSE_MULTIPART_INVALID' },
      { what: 'a multipart image part', type: `multipart/form-data; boundary=${B}`, body: multipart([{ headers: ['Content-Disposition: form-data; name="id"; filename="id.png"', 'Content-Type: image/png'], content: SECRET }]), status: 415, code: 'XB_BODY_UNSUPPORTED_TYPE' },
      { what: 'protobuf', type: 'application/x-protobuf', body: Buffer.from([0x12, 0x40, 0x0a, 0x02]), status: 400, code: 'XB_PARSE_PROTOBUF_INVALID' },
      { what: 'text in no charset it knows', type: 'text/plain', body: Buffer.concat([Buffer.from(SECRET), Buffer.from([0xff, 0xfe, 0xff])]), status: 400, code: 'XB_PARSE_TEXT_INVALID' },
      { what: 'a type it cannot inspect', type: 'application/octet-stream', body: SECRET, status: 415, code: 'XB_BODY_UNSUPPORTED_TYPE' },
      { what: 'a charset it cannot decode', type: 'text/csv; charset=big5', body: `a\n${SECRET}\n`, status: 415, code: 'XB_BODY_UNSUPPORTED_TYPE' },
    ])('$what → $status $code', async ({ type, body, status, code }) => {
      const problem = await refused('shipments', Buffer.from(body), { 'content-type': type }, status, code);
      expect(JSON.stringify(problem)).not.toContain(SECRET);
    });

    it.each([
      { what: 'gzip cut short', coding: 'gzip', body: gzipSync(JSON.stringify({ shipments: batch(3000, 50) })).subarray(0, 100), status: 400, code: 'XB_PARSE_ENCODING_INVALID' },
      { what: 'not brotli', coding: 'br', body: Buffer.from('{"shipments": []}'), status: 400, code: 'XB_PARSE_ENCODING_INVALID' },
      { what: 'an unknown coding', coding: 'zstd', body: Buffer.from('{"shipments": []}'), status: 415, code: 'XB_BODY_ENCODED' },
      { what: 'a ratio past limits.maxRatio', coding: 'gzip', body: gzipSync(Buffer.alloc(1024 * 1024, 0x20)), status: 413, code: 'XB_BODY_DECOMPRESSED_TOO_LARGE' },
    ])('$what → $status $code', async ({ coding, body, status, code }) => {
      await refused('shipments', body, { 'content-type': 'application/json', 'content-encoding': coding }, status, code);
    });
  });

  it('refuses a 10 MB gzip bomb with 413 within the limit’s memory', async () => {
    // Concatenated gzip members of 64 MiB of zeros each: ~10 MB on the wire, ~10 GiB inflated.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: Math.ceil((10 * 1024 * 1024) / member.length) }, () => member));
    expect(bomb.length).toBeGreaterThan(10 * 1000 * 1000);
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const problem = await refused('shipments', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 413, 'XB_BODY_DECOMPRESSED_TOO_LARGE');
    expect(problem['detail']).toMatch(/limits\.decompressedBytes/);
    // The gateway runs in this process: its peak memory grew by about the 64 MiB limit, not by gigabytes.
    expect(process.resourceUsage().maxRSS * 1024 - peakBefore).toBeLessThan(512 * 1024 * 1024);
  });
});
