/**
 * No FTZ list relieves a critical information infrastructure operator (Order 16 Art. 7(1)): a
 * CIIO's shipment batch on a Guangxi live-commerce route, one person and far below item 6's
 * 100,000, still needs a security assessment, and is refused without one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { counters, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('a CIIO on an FTZ list route', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const config = (filings: unknown[]) => ({
    company: { name: 'Grid Operator Co.', regime: 'guangxi', ciio: true },
    routes: [
      {
        id: 'delivery',
        upstream: upstream.url,
        recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
        domain: 'guangxi-2025/live-commerce',
        scenario: 'cross-border-delivery',
      },
    ],
    filings,
  });

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start(config([]));
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  it('refuses one person’s shipment without a security assessment, counting nobody', async () => {
    const res = await postJson(`${gw.dataUrl}/delivery/x`, shipment(1, 'C-1'));
    expect(res.status).toBe(451);
    expect(res.json.rules).toEqual([expect.objectContaining({ list: 'cn-national', item: 1, obligation: 'security-assessment', citation: expect.stringContaining('Art. 7(1)') })]);
    expect((await counters(gw))['guangxi-2025/live-commerce/limited']).toBe(0);
    expect(upstream.received).toHaveLength(0);
  });

  it('forwards it once a security assessment covers the national CIIO item', async () => {
    await gw.close();
    gw = await env.start(
      config([{ id: 'SA-2026-01', kind: 'security-assessment', covers: { list: 'cn-national', items: [1] }, effective: '2026-01-01', expires: '2029-01-01' }]),
    );
    const res = await postJson(`${gw.dataUrl}/delivery/x`, shipment(1, 'C-1'));
    expect(res.status).toBe(201);
    expect((await counters(gw))['guangxi-2025/live-commerce/limited']).toBe(1);
  });
});
