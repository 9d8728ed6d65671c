/**
 * Acceptance for the walking skeleton (issue 2): live-commerce shipment batches on scenario 跨境配送
 * carrying only item 6's listed data items, adding up past 100,000 distinct shippers with repeats
 * across and within batches. Real upstream, real gateway, real LMDB store, real evidence files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../agent/gateway.js';
import { verifyEvidence } from '../../agent/record/index.js';
import { counters, decisionLines, deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { shipment, shipperPhone } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const GENERAL = 'guangxi-2025/live-commerce/general';

/**
 * The batches: 16 of 6,000 new shippers, then one that lands exactly on 99,999, one of repeats
 * only, then the batch that would reach 100,000. Every batch also repeats 400 earlier shippers
 * and lists 50 of its own twice.
 */
function makeBatches(): number[][] {
  const batches: number[][] = [];
  let next = 0;
  const add = (fresh: number, repeats: number) => {
    const persons: number[] = [];
    for (let i = 0; i < fresh; i++) persons.push(next++);
    for (let i = 0; i < repeats && next - fresh > 0; i++) persons.push((i * 7919) % (next - fresh));
    for (let i = 0; i < 50 && i < fresh; i++) persons.push(next - 1 - i);
    batches.push(persons);
  };
  for (let b = 0; b < 16; b++) add(6_000, 400);
  add(3_999, 400); // → 99,999 distinct shippers
  add(0, 500); // only people already counted: stays at 99,999
  add(25, 400); // would reach 100,024: needs item 6's standard contract
  return batches;
}

const body = (persons: number[], batch: number) => ({
  batch,
  shipments: persons.map((n, i) => shipment(n, `B${batch}-${i}`)),
});

describe('threshold on the limited counter (Guangxi 2025 list, live commerce, item 6)', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  const truth = new Set<number>();
  const batches = makeBatches();
  const routes = (upstreamUrl: string) => [deliveryRoute('sg-logistics', upstreamUrl)];

  beforeAll(async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start({ routes: routes(upstream.url) });
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  it('forwards every batch below the threshold and counts each distinct shipper once', async () => {
    for (let b = 0; b < batches.length - 1; b++) {
      if (b === 8) {
        // Stop and restart mid-year: the counter keeps its value.
        const before = await counters(gw);
        await gw.close();
        gw = await env.start({ routes: routes(upstream.url) });
        expect(await counters(gw)).toEqual(before);
      }
      const res = await postJson(`${gw.dataUrl}/sg-logistics/v1/shipments?batch=${b}`, body(batches[b] as number[], b));
      expect(res.status, `batch ${b}`).toBe(201);
      for (const n of batches[b] as number[]) truth.add(n);
      // From 90% of 100,000 (alertLevel 0.9) on, forwarded batches are flagged: item 6 is near.
      expect(res.headers.get('x-xborder-decision'), `batch ${b} at ${truth.size}`).toBe(truth.size >= 90_000 ? 'flag' : 'allow');
      expect(res.headers.get('x-xborder-transfer-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect((await counters(gw))[LIMITED], `after batch ${b}`).toBe(truth.size);
    }
    expect(truth.size).toBe(99_999);
    // The sketch beside the exact set estimates it (0.81% standard error; the exact value decides).
    expect(Math.abs(((await counters(gw, 'estimated'))[LIMITED] as number) / truth.size - 1)).toBeLessThan(0.02);
    expect(upstream.received).toHaveLength(batches.length - 1);
    expect(upstream.received[0]?.url).toBe('/v1/shipments?batch=0');
    expect((await counters(gw))[GENERAL]).toBe(0);
  });

  it('refuses with 451 the batch that would reach 100,000, naming item 6 and the standard contract', async () => {
    const last = batches.length - 1;
    const res = await postJson(`${gw.dataUrl}/sg-logistics/v1/shipments?batch=${last}`, body(batches[last] as number[], last));
    expect(res.status).toBe(451);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('x-xborder-decision')).toBe('block');
    expect(res.json).toMatchObject({
      type: 'urn:xborder:problem:XB_DECISION_BLOCKED',
      status: 451,
      code: 'XB_DECISION_BLOCKED',
      decision: 'block',
      transferId: res.headers.get('x-xborder-transfer-id'),
      rules: [
        {
          regime: 'guangxi',
          list: 'guangxi-2025',
          domain: 'live-commerce',
          item: 6,
          obligation: 'standard-contract-or-certification',
          counter: LIMITED,
          threshold: '100,000 ≤ n < 2,000,000',
          before: 99_999,
          added: 25,
        },
      ],
    });
    expect(res.json.dataItems).toEqual(expect.arrayContaining(['shipper-name', 'shipper-contact', 'order-number']));
    // The upstream never saw it, and nobody was counted.
    expect(upstream.received.some((r) => r.url.endsWith(`batch=${last}`))).toBe(false);
    expect((await counters(gw))[LIMITED]).toBe(99_999);
    const line = decisionLines(env.logLines).find((l) => l['transferId'] === res.json.transferId);
    expect(line).toMatchObject({ schema: 1, decision: 'block', reason: 'threshold-uncovered', route: 'sg-logistics' });
  });

  it('forwards the same batch once a standard contract covering item 6 is configured', async () => {
    await gw.close();
    gw = await env.start({
      routes: routes(upstream.url),
      filings: [
        {
          id: 'SC-2026-0001',
          kind: 'standard-contract',
          covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6], recipients: ['Example Logistics Pte. Ltd.'] },
          effective: '2026-01-01',
          expires: '2099-12-31',
          filedOn: '2026-01-09', // within 10 working days (Order 13 Art. 7): no overdue notice
        },
      ],
    });
    const last = batches.length - 1;
    const res = await postJson(`${gw.dataUrl}/sg-logistics/v1/shipments?batch=${last}`, body(batches[last] as number[], last));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-xborder-decision')).toBe('allow');
    for (const n of batches[last] as number[]) truth.add(n);
    expect(truth.size).toBe(100_024);
    expect((await counters(gw))[LIMITED]).toBe(truth.size);
    expect(upstream.received.some((r) => r.url.endsWith(`batch=${last}`))).toBe(true);
    const line = decisionLines(env.logLines).find((l) => l['transferId'] === res.headers.get('x-xborder-transfer-id'));
    expect(line).toMatchObject({ decision: 'allow', reason: 'covered-by-filing', filings: ['SC-2026-0001'] });
  });

  it('keeps a verifiable evidence chain across restarts, with no raw PI in it or in the logs', async () => {
    await gw.close();
    const evidenceDir = join(env.dir, 'data', 'evidence');
    const report = verifyEvidence(evidenceDir);
    expect(report.chains.map((c) => c.errors)).toEqual([[]]);
    expect(report.ok).toBe(true);
    // START + TRANSFER/OUTCOME pairs + refused TRANSFER + STOP, over three runs.
    const transfers = batches.length - 1 + 1 + 1;
    expect(report.chains[0]?.records).toBe(3 * 2 + transfers * 2 - 1);

    const segments = readdirSync(join(evidenceDir, 'gw-test')).map((f) => readFileSync(join(evidenceDir, 'gw-test', f)));
    const logs = env.logLines.join('\n');
    for (const n of [0, 4242, 99_998, 100_023]) {
      const phone = shipperPhone(n);
      expect(segments.some((s) => s.includes(phone)), `phone ${phone} in evidence`).toBe(false);
      expect(logs.includes(phone), `phone ${phone} in logs`).toBe(false);
      expect(segments.some((s) => s.includes(Buffer.from(`发货人${n}`))), 'name in evidence').toBe(false);
    }
    expect(logs.includes('发货人')).toBe(false);
    gw = await env.start({ routes: routes(upstream.url) }); // afterAll closes it
  });
});
