/**
 * Spooling in the data plane (limits.memoryBytes 1 KiB here): a body just over the memory limit
 * goes to a 0600 file under <dataDir>/spool, is inspected in a streaming pass with the same
 * records and decision as the same bytes held in memory, is forwarded byte for byte from the file
 * after the decision, and the file is gone when the request is over. Over limits.spoolBytes: 413,
 * nothing forwarded, no file left. A JSON body over limits.bodyBytes: 413 XB_BODY_TOO_LARGE_TO_INSPECT.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../agent/gateway.js';
import { decisionLines, testEnv, type TestEnv } from '../../helpers/gateway.js';
import { shipment } from '../../helpers/shipments.js';

const COLUMNS = ['orderNo', 'shipperName', 'shipperPhone', 'shippingAddress', 'shippingTime', 'goodsName', 'quantity'] as const;
const csv = (from: number, n: number) =>
  [COLUMNS.join(','), ...Array.from({ length: n }, (_, i) => shipment(from + (i % 7), `O-${i}`)).map((r) => COLUMNS.map((c) => String(r[c])).join(','))].join('\r\n') + '\r\n';
const ROUTE = { recipient: { name: 'X Ltd', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' };

interface Seen {
  body: Buffer;
  spoolFiles: { name: string; mode: number }[];
}

describe('spooled bodies', () => {
  let spooling: TestEnv;
  let inMemory: TestEnv;
  let gw: Gateway;
  let ref: Gateway;
  let server: Server;
  let upstream: string;
  const seen: Seen[] = [];
  const spoolDir = () => join(spooling.dir, 'data', 'spool', 'gw-test');

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // While the gateway forwards, its spool file exists, owner-only.
        let spoolFiles: Seen['spoolFiles'] = [];
        try {
          spoolFiles = readdirSync(spoolDir()).map((name) => ({ name, mode: statSync(join(spoolDir(), name)).mode & 0o777 }));
        } catch {}
        seen.push({ body: Buffer.concat(chunks), spoolFiles });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    spooling = testEnv();
    inMemory = testEnv();
    const routes = [{ ...ROUTE, id: 'r', upstream }];
    gw = await spooling.start({ routes, limits: { memoryBytes: 1024, spoolBytes: 256 * 1024, bodyBytes: 2048 } });
    ref = await inMemory.start({ routes });
  });
  afterAll(async () => {
    await gw?.close();
    await ref?.close();
    await new Promise((r) => server.close(r));
    spooling?.cleanup();
    inMemory?.cleanup();
  });

  it('spools a body just over limits.memoryBytes to a 0600 file, decides as in memory, forwards it, removes the file', async () => {
    const body = Buffer.from(csv(1, 40));
    expect(body.length).toBeGreaterThan(1024);
    const sent = await fetch(`${gw.dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(sent.status).toBe(201);
    expect(sent.headers.get('x-xborder-decision')).toBe('allow');
    await sent.text();
    const forwarded = seen.at(-1) as Seen;
    expect(forwarded.body.equals(body)).toBe(true);
    expect(forwarded.spoolFiles).toHaveLength(1);
    expect(forwarded.spoolFiles[0]?.mode).toBe(0o600);
    expect(statSync(spoolDir()).mode & 0o777).toBe(0o700);
    await until(() => readdirSync(spoolDir()).length === 0);

    const same = await fetch(`${ref.dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(same.status).toBe(201);
    await same.text();
    expect(seen.at(-1)?.spoolFiles).toEqual([]); // the in-memory gateway spooled nothing
    const pick = (l: Record<string, any>) => ({ decision: l['decision'], reason: l['reason'], records: l['records'], persons: l['persons'], dataItems: l['dataItems'], findings: l['findings'], rules: l['rules'], bytes: l['bytes'] });
    const a = decisionLines(spooling.logLines).at(-1) as Record<string, any>;
    const b = decisionLines(inMemory.logLines).at(-1) as Record<string, any>;
    expect(pick(a)).toEqual(pick(b));
    expect(a['records']).toBe(40);
    expect(a['persons']).toBe(7);
  });

  it('refuses a body over limits.spoolBytes with 413 and leaves no file, declared or streamed', async () => {
    const before = seen.length;
    const big = Buffer.from(csv(100, 6000));
    expect(big.length).toBeGreaterThan(256 * 1024);
    const declared = await fetch(`${gw.dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { code: string }).code).toBe('XB_BODY_TOO_LARGE');
    const chunked = await fetch(`${gw.dataUrl}/r/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: Readable.toWeb(Readable.from([big.subarray(0, 100_000), big.subarray(100_000, 200_000), big.subarray(200_000)])) as ReadableStream,
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => err);
    // The gateway stops reading: the client sees the 413, or the connection cut while it still sends.
    if (chunked instanceof Response) {
      expect(chunked.status).toBe(413);
      expect(((await chunked.json()) as { code: string }).code).toBe('XB_BODY_TOO_LARGE');
    }
    await until(() => readdirSync(spoolDir()).length === 0);
    expect(seen.length).toBe(before);
  });

  it('refuses a JSON body over limits.bodyBytes with 413 XB_BODY_TOO_LARGE_TO_INSPECT, over-limit, nothing forwarded', async () => {
    const before = seen.length;
    const res = await fetch(`${gw.dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ remark: 'x'.repeat(4096) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'XB_BODY_TOO_LARGE_TO_INSPECT', reason: 'over-limit', decision: 'block' });
    expect(seen.length).toBe(before);
    await until(() => readdirSync(spoolDir()).length === 0);
  });

  it('records the spooled body\'s SHA-256 and size', async () => {
    const body = Buffer.from(csv(200, 30));
    const res = await fetch(`${gw.dataUrl}/r/v1/orders`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(res.status).toBe(201);
    await res.text();
    expect(createHash('sha256').update(seen.at(-1)?.body ?? '').digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(decisionLines(spooling.logLines).at(-1)?.['bytes']).toBe(body.length);
  });
});

async function until(probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
