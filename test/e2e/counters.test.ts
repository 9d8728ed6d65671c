/**
 * Which counter a transfer counts on (Guangxi 2025 list, live commerce): only listed data items on
 * a listed scenario → limited (items 4/6); any other PI (a buyer's name and phone, a resident ID
 * in an unlabelled remark) → general (items 5/7). Bad bodies are refused and never forwarded.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { counters, decisionLines, deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { residentId, shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';
const SENSITIVE = 'guangxi-2025/live-commerce/sensitive';

describe('counter scope and value detectors', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({
      routes: [deliveryRoute('delivery', upstream.url), deliveryRoute('delivery-open', upstream.url, { recordRoot: '$', failMode: 'open' })],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  const send = (route: string, shipments: unknown[]) => postJson(`${gw.dataUrl}/${route}/orders`, { shipments });

  it('counts a batch carrying the buyer’s name and phone on the general counter, shippers and buyers alike', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({
      ...shipment(i, `G-${i}`),
      buyerName: `买家${i}`,
      buyerPhone: `137${String(i).padStart(8, '0')}`,
    }));
    const res = await send('delivery', records);
    expect(res.status).toBe(201);
    expect(await counters(gw)).toMatchObject({ [LIMITED]: 0, [GENERAL]: 80, [SENSITIVE]: 0 });
    const line = decisionLines(env.logLines).at(-1);
    expect(line?.['dataItems']).toEqual(expect.arrayContaining(['recipient-name', 'recipient-contact', 'shipper-name']));
  });

  it('finds a valid resident ID in an unlabelled remark and counts that transfer on the general counter', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ ...shipment(1000 + i, `R-${i}`), remark: `客户身份证 ${residentId(i)}，请核对` }));
    const res = await send('delivery', records);
    expect(res.status).toBe(201);
    // Ten shippers (by phone) and ten ID holders (by ID number: not linked to the phones, an over-count).
    expect(await counters(gw)).toMatchObject({ [LIMITED]: 0, [GENERAL]: 100 });
    const line = decisionLines(env.logLines).at(-1);
    expect(line?.['dataItems']).toContain('resident-id-number');
    expect(line?.['persons']).toBe(20);
  });

  it('does not take a checksum-invalid ID number in a remark for PI', async () => {
    const bad = residentId(7).slice(0, 17) + (residentId(7).endsWith('0') ? '1' : '0');
    const res = await send('delivery', [{ ...shipment(2000, 'X-1'), remark: `客户身份证 ${bad}` }]);
    expect(res.status).toBe(201);
    expect(await counters(gw)).toMatchObject({ [LIMITED]: 1, [GENERAL]: 100 });
  });

  it('counts listed items alone on the limited counter', async () => {
    const res = await send('delivery', [shipment(3000, 'L-1'), shipment(3001, 'L-2'), shipment(3000, 'L-3')]);
    expect(res.status).toBe(201);
    expect((await counters(gw))[LIMITED]).toBe(3);
  });

  it('refuses an anchor under 14 (age sent as a number): one sensitive person already needs item 7’s standard contract', async () => {
    const before = await counters(gw);
    const res = await send('delivery', [{ anchorName: '小主播', anchorAge: 12, anchorPhone: '13600000001', productCategory: '玩具' }]);
    expect(res.status).toBe(451);
    expect(res.json.rules).toEqual([
      expect.objectContaining({ item: 7, counter: SENSITIVE, threshold: '1 ≤ n < 10,000', before: 0, added: 1 }),
    ]);
    expect(await counters(gw)).toEqual(before);
  });

  it('refuses malformed JSON with 400 on a fail-closed route and never forwards it', async () => {
    const before = upstream.received.length;
    const res = await fetch(`${gw.dataUrl}/delivery/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"shipments": [' });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ code: 'XB_PARSE_INVALID_JSON', decision: 'block', reason: 'uninspectable' });
    expect(problem['transferId']).toBe(res.headers.get('x-xborder-transfer-id'));
    expect(upstream.received.length).toBe(before);
  });

  it('refuses a body whose record root is missing, and a content type it cannot inspect', async () => {
    const before = upstream.received.length;
    const noRoot = await postJson(`${gw.dataUrl}/delivery/orders`, { orders: [] });
    expect(noRoot.status).toBe(400);
    expect(noRoot.json.code).toBe('XB_PARSE_RECORD_ROOT');
    const form = await fetch(`${gw.dataUrl}/delivery/orders`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'a,b\n1,2\n' });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { code: string }).code).toBe('XB_BODY_UNSUPPORTED_TYPE');
    expect(upstream.received.length).toBe(before);
  });

  it('forwards an uninspectable body on a fail-open route, flagged', async () => {
    const before = upstream.received.length;
    const res = await fetch(`${gw.dataUrl}/delivery-open/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-xborder-decision')).toBe('flag');
    expect(upstream.received.length).toBe(before + 1);
  });

  it('answers unknown routes and oversized bodies with problem bodies', async () => {
    const unknown = await postJson(`${gw.dataUrl}/nowhere/x`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'XB_ROUTE_NOT_FOUND', transferId: null });
    const big = await fetch(`${gw.dataUrl}/delivery/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shipments: [{ remark: 'x'.repeat(17 * 1024 * 1024) }] }),
    });
    // Over limits.memoryBytes it is spooled; JSON is parsed in memory only up to limits.bodyBytes.
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string; reason: string })).toMatchObject({ code: 'XB_BODY_TOO_LARGE_TO_INSPECT', reason: 'over-limit' });
  });

  it('refuses a decompression bomb with 413 even on a fail-open route', async () => {
    const before = upstream.received.length;
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)); // ~2 KB expanding 1000×, past limits.maxRatio
    const res = await fetch(`${gw.dataUrl}/delivery-open/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string; reason: string })).toMatchObject({ code: 'XB_BODY_DECOMPRESSED_TOO_LARGE', reason: 'over-limit' });
    expect(upstream.received.length).toBe(before);
  });

  it('forwards an empty body, which carries nothing to inspect, whatever its content type', async () => {
    const res = await fetch(`${gw.dataUrl}/delivery/ping`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-xborder-decision')).toBe('allow');
  });

  it('guards the admin API with the bearer token', async () => {
    expect((await fetch(`${gw.adminUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${gw.adminUrl}/api/status`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('XB_ADMIN_UNAUTHORIZED');
  });
});
