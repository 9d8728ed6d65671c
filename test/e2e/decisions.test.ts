/**
 * Decisions end to end: a real gateway in-process (127.0.0.1, port 0) on the shipped packs, a real
 * upstream, live-commerce shipment batches (Guangxi 2025 list, domain 3, 跨境配送).
 *
 * - A transfer refused at a threshold (451) says which item, counter, before/added and which filing
 *   kinds would allow it; the same transfer passes once such a filing arrives by hot reload, and
 *   the evidence carries the same rules, summary included.
 * - A covering filing's declared side (declared.maxPersons, dataItems, recipients): a transfer
 *   beyond it is forwarded but flagged `material-change`, in the decision line and the evidence.
 * - A contract-necessity route (CAC Order 16 Art. 5(1)): its persons are not counted (Guangxi 2025:
 *   不计入累计数量), the decision is `allow`/`exempt`; with important data in the body the exemption
 *   falls away (`exemption-contradicted`).
 *
 * The limited counter is brought near or past 100,000 through the store API before the gateway
 * starts (as test/e2e/counting-*.test.ts do), with members no real shipper can collide with.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { chinaYear, type Clock } from '../../agent/clock.js';
import { openEmbeddedStore } from '../../agent/count/store/embedded.js';
import type { Gateway } from '../../agent/gateway.js';
import { loadIdentityKey } from '../../agent/identify/key.js';
import type { EvidenceObject } from '../../agent/record/codec.js';
import { readRecords } from '../../agent/record/read.js';
import { counters, decisionLines, deliveryRoute, postJson, testEnv, type TestEnv } from '../helpers/gateway.js';
import { batchBody, shipment } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const LIMITED = 'guangxi-2025/live-commerce/limited';
const RECIPIENT = 'Example Logistics Pte. Ltd.';
/** 2026-06-15 10:00 China time: every filing below is valid then. */
const clock: Clock = { now: () => new Date('2026-06-15T02:00:00Z') };
const YEAR = chinaYear(clock.now());

/** A standard contract for live-commerce item 6, filed on time (CAC Order 13 Art. 7), valid into 2029. */
const contract6 = (more: Record<string, unknown> = {}) => ({
  id: 'SC-LC6',
  kind: 'standard-contract',
  covers: { list: 'guangxi-2025', domains: ['live-commerce'], items: [6] },
  effective: '2026-01-05',
  filedOn: '2026-01-09',
  expires: '2029-01-04',
  ...more,
});

const storePath = (env: TestEnv) => join(env.dir, 'data', 'store');
const evidenceDir = (env: TestEnv) => join(env.dir, 'data', 'evidence');
/** The base config testEnv wrote, so a rewrite keeps ports, keys and data directory. */
const configFile = (env: TestEnv) => join(env.dir, 'xborder.yaml');

/** Put `n` persons on the limited counter this year, under the gateway's identity key, before it starts. */
async function preload(env: TestEnv, n: number): Promise<void> {
  const identity = loadIdentityKey({ file: join(env.dir, 'hmac.key'), generatedFile: join(env.dir, 'unused.key') });
  const store = openEmbeddedStore(storePath(env));
  try {
    for (let from = 0; from < n; from += 50_000) {
      const members = Array.from({ length: Math.min(50_000, n - from) }, (_, i) =>
        createHash('sha256').update(`preloaded person ${from + i}`).digest().subarray(0, 16),
      );
      const added = await store.checkAndAdd(YEAR, identity.fingerprint, [{ counter: LIMITED, members, blocked: [] }], { expectCounted: from > 0, unions: [] });
      expect(added.admitted).toBe(true);
    }
    expect((await store.counts(YEAR)).get(LIMITED)).toBe(n);
  } finally {
    await store.close();
  }
}

const transferId = (res: { headers: Headers; json?: { transferId?: string } }): string => res.headers.get('x-xborder-transfer-id') ?? res.json?.transferId ?? '';
const lineOf = (env: TestEnv, id: string) => decisionLines(env.logLines).find((l) => l['transferId'] === id);
const transferRecord = (env: TestEnv, id: string): EvidenceObject | undefined =>
  [...readRecords(evidenceDir(env))].map((r) => r.record).find((r) => r.kind === 'TRANSFER' && r.transferId === id);

async function reload(gw: Gateway): Promise<Response> {
  return fetch(`${gw.adminUrl}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}` } });
}

/** A shipment without its 发货时间 (shipping-time), so that data item can be left undeclared. */
const withoutTime = (n: number) => {
  const { shippingTime: _omitted, ...rest } = shipment(n, `order-${n}`);
  return rest;
};
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

let env: TestEnv | undefined;
let upstream: Upstream | undefined;
let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close();
  await upstream?.close();
  env?.cleanup();
  gw = undefined;
  upstream = undefined;
  env = undefined;
});

describe('a threshold refusal names what would allow it, and hot reload of that filing lets the transfer pass', () => {
  it('Guangxi live-commerce item 6: limited 99,990 + 10 → 451 citing item 6 and its remedies; a standard contract by reload → 201, same evidence summary', async () => {
    env = testEnv();
    await preload(env, 99_990);
    upstream = await startUpstream();
    gw = await env.start({ store: { kind: 'embedded', path: storePath(env) }, routes: [deliveryRoute('sg', upstream.url)] }, clock);
    const body = batchBody({ id: 'b-100k', shippers: range(1, 10) });

    const refused = await postJson(`${gw.dataUrl}/sg/orders`, body);
    expect(refused.status).toBe(451);
    expect(refused.headers.get('x-xborder-decision')).toBe('block');
    expect(refused.json).toMatchObject({ status: 451, decision: 'block', reason: 'threshold-uncovered' });
    expect(refused.json.rules).toHaveLength(1);
    const cited = refused.json.rules[0];
    expect(cited).toMatchObject({
      regime: 'guangxi',
      list: 'guangxi-2025',
      domain: 'live-commerce',
      item: 6,
      obligation: 'standard-contract-or-certification',
      counter: LIMITED,
      threshold: '100,000 ≤ n < 2,000,000',
      before: 99_990,
      added: 10,
      citation: 'Guangxi 2025 list, domain 3, item 6',
    });
    expect([...cited.remedies].sort()).toEqual(['certification', 'security-assessment', 'standard-contract']);
    expect(cited.summary).toContain('guangxi-2025/live-commerce item 6');
    expect(cited.summary).toContain('(99,990 + 10)');
    expect(cited.summary).toContain('standard contract');
    // A refused transfer adds nobody and sends nothing.
    expect((await counters(gw))[LIMITED]).toBe(99_990);
    expect(upstream.received).toHaveLength(0);

    // The filing arrives: the config file is rewritten and reloaded, no restart.
    const base = parse(readFileSync(configFile(env), 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile(env), stringify({ ...base, filings: [contract6()] }));
    const reloaded = await reload(gw);
    expect(reloaded.status).toBe(200);
    expect(((await reloaded.json()) as { restartRequired: string[] }).restartRequired).toEqual([]);

    const passed = await postJson(`${gw.dataUrl}/sg/orders`, body);
    expect(passed.status).toBe(201);
    expect(passed.headers.get('x-xborder-decision')).toBe('allow');
    expect(upstream.received).toHaveLength(1);
    expect((await counters(gw))[LIMITED]).toBe(100_000);
    expect(lineOf(env, transferId(passed))).toMatchObject({ decision: 'allow', reason: 'covered-by-filing', filings: ['SC-LC6'], notices: [] });

    // Evidence: the refused transfer's record carries the same rules, summary and remedies included.
    const refusedRecord = transferRecord(env, transferId(refused));
    expect(refusedRecord?.transfer).toMatchObject({ decision: 'block', reason: 'threshold-uncovered', admitted: false });
    const recorded = refusedRecord?.transfer?.rules ?? [];
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ list: 'guangxi-2025', domain: 'live-commerce', item: 6, counter: LIMITED, before: 99_990, added: 10, summary: cited.summary });
    expect([...((recorded[0]?.['remedies'] as string[] | undefined) ?? [])].sort()).toEqual([...cited.remedies].sort());
    // … and the allowed one names the filing that covered it.
    const passedRules = transferRecord(env, transferId(passed))?.transfer?.rules ?? [];
    expect(passedRules).toEqual([expect.objectContaining({ item: 6, filing: 'SC-LC6', before: 99_990, added: 10 })]);
    expect(String(passedRules[0]?.['summary'])).toContain('covered by SC-LC6');
  });
});

describe('material change: a transfer beyond what its covering filing declared is flagged', () => {
  it('flags more persons than declared.maxPersons, an undeclared data item and an undeclared recipient, each on its own; nothing within the declaration', async () => {
    env = testEnv();
    await preload(env, 100_100);
    upstream = await startUpstream();
    const declared = {
      scenarios: ['cross-border-delivery'],
      dataItems: ['order-number', 'shipper-name', 'shipper-contact', 'shipping-address', 'goods-name', 'goods-quantity'],
      recipients: [RECIPIENT],
      maxPersons: 100_200,
    };
    gw = await env.start(
      {
        store: { kind: 'embedded', path: storePath(env) },
        routes: [deliveryRoute('sg', upstream.url), deliveryRoute('my', upstream.url, { recipient: { name: 'Other Forwarder Sdn. Bhd.', country: 'MY' } })],
        // covers.recipients unset: the contract covers both recipients; only the first was declared.
        filings: [contract6({ declared })],
      },
      clock,
    );
    const send = (routeId: string, shipments: unknown[]) => postJson(`${gw?.dataUrl}/${routeId}/orders`, { shipments });
    const materialChanges = (id: string) => (transferRecord(env as TestEnv, id)?.transfer?.notices ?? []).filter((x) => x.code === 'material-change');

    // Within what was declared: 10 new shippers (100,110 ≤ 100,200), declared items, declared recipient.
    const within = await send('sg', range(1, 10).map(withoutTime));
    expect(within.status).toBe(201);
    expect(within.headers.get('x-xborder-decision')).toBe('allow');
    expect(lineOf(env, transferId(within))).toMatchObject({ decision: 'allow', reason: 'covered-by-filing', notices: [], filings: ['SC-LC6'] });
    expect(materialChanges(transferId(within))).toEqual([]);
    expect((await counters(gw))[LIMITED]).toBe(100_110);

    // (b) An undeclared data item: the same shippers again, now with 发货时间 (shipping-time).
    const items = await send('sg', range(1, 10).map((n) => shipment(n, `order-${n}`)));
    expect(items.status).toBe(201);
    expect(items.headers.get('x-xborder-decision')).toBe('flag');
    expect(lineOf(env, transferId(items))).toMatchObject({ decision: 'flag', reason: 'material-change', notices: ['material-change'] });
    expect(materialChanges(transferId(items))).toEqual([expect.objectContaining({ filing: 'SC-LC6', detail: expect.stringContaining('shipping-time') })]);

    // (c) An undeclared recipient the contract still covers: the same shippers to the other forwarder.
    const recipient = await send('my', range(1, 10).map(withoutTime));
    expect(recipient.status).toBe(201);
    expect(recipient.headers.get('x-xborder-decision')).toBe('flag');
    expect(lineOf(env, transferId(recipient))).toMatchObject({ decision: 'flag', reason: 'material-change', notices: ['material-change'] });
    expect(materialChanges(transferId(recipient))).toEqual([expect.objectContaining({ filing: 'SC-LC6', detail: expect.stringContaining('Other Forwarder Sdn. Bhd.') })]);
    expect((await counters(gw))[LIMITED]).toBe(100_110);

    // (a) More persons than declared: 100 new shippers take the counter to 100,210 > 100,200.
    const volume = await send('sg', range(11, 100).map(withoutTime));
    expect(volume.status).toBe(201);
    expect(volume.headers.get('x-xborder-decision')).toBe('flag');
    expect(lineOf(env, transferId(volume))).toMatchObject({ decision: 'flag', reason: 'material-change', notices: ['material-change'] });
    expect(materialChanges(transferId(volume))).toEqual([expect.objectContaining({ filing: 'SC-LC6', detail: expect.stringMatching(/100,200.*100,210/) })]);
    expect((await counters(gw))[LIMITED]).toBe(100_210);

    // Everything flagged was still forwarded: a material change asks for a new filing, it refuses nothing.
    expect(upstream.received).toHaveLength(4);
  });
});

describe('an exempt route (CAC Order 16 Art. 5(1)) on the Guangxi live-commerce domain', () => {
  it('counts nobody and allows as exempt; with important data in the body it is decided without the exemption and says so', async () => {
    env = testEnv();
    upstream = await startUpstream();
    gw = await env.start(
      { store: { kind: 'embedded', path: storePath(env) }, routes: [deliveryRoute('ex', upstream.url, { exemption: 'contract-necessity' })] },
      clock,
    );

    const exempt = await postJson(`${gw.dataUrl}/ex/orders`, batchBody({ id: 'ex-1', shippers: range(1, 5) }));
    expect(exempt.status).toBe(201);
    expect(exempt.headers.get('x-xborder-decision')).toBe('allow');
    expect(lineOf(env, transferId(exempt))).toMatchObject({ decision: 'allow', reason: 'exempt', rules: [], notices: [] });
    // Guangxi 2025 list: persons sent under Arts. 3, 4, 5(1)-(3) 不计入累计数量 (exemptPersonsCount: false).
    expect((await counters(gw))[LIMITED] ?? 0).toBe(0);
    expect(transferRecord(env, transferId(exempt))?.transfer).toMatchObject({ decision: 'allow', reason: 'exempt', exemption: 'contract-necessity', exemptionHeld: true });

    // The same route, a record marked as important data: no exemption covers important data.
    const marked = await postJson(`${gw.dataUrl}/ex/orders`, { shipments: range(1, 5).map((n) => ({ ...shipment(n, `order-${n}`), importantData: '是' })) });
    expect(marked.status).toBe(201);
    expect(marked.headers.get('x-xborder-decision')).toBe('flag');
    const markedLine = lineOf(env, transferId(marked));
    expect(markedLine).toMatchObject({ decision: 'flag', reason: 'important-data-review' });
    expect(markedLine?.['notices']).toContain('exemption-contradicted');
    expect(transferRecord(env, transferId(marked))?.transfer).toMatchObject({ exemption: 'contract-necessity', exemptionHeld: false });
    expect((transferRecord(env, transferId(marked))?.transfer?.notices ?? []).map((x) => x.code)).toContain('exemption-contradicted');
    // Decided without the exemption: its persons count now.
    expect((await counters(gw))[LIMITED]).toBe(5);

    // Core data on the same route: refused, and the refusal says the exemption did not hold.
    const core = await postJson(`${gw.dataUrl}/ex/orders`, { shipments: range(6, 5).map((n) => ({ ...shipment(n, `order-${n}`), coreData: '是' })) });
    expect(core.status).toBe(451);
    expect(core.json).toMatchObject({ decision: 'block', reason: 'core-data', rules: [expect.objectContaining({ list: 'cn-national', item: 9, obligation: 'prohibited', remedies: [] })] });
    expect(lineOf(env, transferId(core))?.['notices']).toContain('exemption-contradicted');
    expect((transferRecord(env, transferId(core))?.transfer?.notices ?? []).map((x) => x.code)).toContain('exemption-contradicted');
    expect((await counters(gw))[LIMITED]).toBe(5);
    expect(upstream.received).toHaveLength(2);
  });
});
