/**
 * A new FTZ list is a new data file, not new code (issue 3, acceptance 3): three invented packs —
 * a scenario-and-field negative list, a positive list falling back to the national rules, and a
 * category-style list whose rows apply to all scenarios — are loaded beside the shipped packs,
 * and transfers on routes of their domains are decided by them. Hot reload swaps filings in.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Gateway } from '../../agent/gateway.js';
import { recordToObject } from '../../agent/record/codec.js';
import { listSegments, readFrames } from '../../agent/record/segments.js';
import { counters, decisionLines, postJson, REPO, testEnv, type TestEnv } from '../helpers/gateway.js';
import { residentId } from '../helpers/shipments.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const RECIPIENT = { name: 'Overseas Partner Ltd', country: 'SG' };

describe('new lists as data', () => {
  let env: TestEnv;
  let upstream: Upstream;
  let gw: Gateway;
  let packs: string;
  const config = (filings: unknown[] = []) => ({
    policy: { dir: packs },
    routes: [
      { id: 'pets', upstream: upstream.url, recipient: RECIPIENT, domain: 'testzone-negative/pet-food', scenario: 'export-orders', recordRoot: '$.orders[*]' },
      { id: 'cold', upstream: upstream.url, recipient: RECIPIENT, domain: 'testzone-positive/cold-chain', scenario: 'shipping', recordRoot: '$.orders[*]' },
      { id: 'factory', upstream: upstream.url, recipient: RECIPIENT, domain: 'testzone-categories/industry', scenario: 'supplier-reporting', recordRoot: '$.rows[*]' },
    ],
    filings,
  });

  beforeAll(async () => {
    env = testEnv();
    packs = join(env.dir, 'packs');
    mkdirSync(packs);
    for (const dir of [join(REPO, 'policy', 'packs'), join(REPO, 'test', 'fixtures', 'new-lists')])
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) copyFileSync(join(dir, f), join(packs, f));
    upstream = await startUpstream();
    gw = await env.start(config());
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    env?.cleanup();
  });

  const owners = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ ownerName: `主人${from + i}`, ownerPhone: `135${String(from + i).padStart(8, '0')}`, petBreed: '柯基' }));

  it('decides an invented negative list by its own thresholds: 3 owners need a standard contract', async () => {
    expect((await postJson(`${gw.dataUrl}/pets/o`, { orders: owners(0, 2) })).status).toBe(201);
    const refused = await postJson(`${gw.dataUrl}/pets/o`, { orders: owners(2, 1) });
    expect(refused.status).toBe(451);
    expect(refused.json.rules).toEqual([
      expect.objectContaining({ list: 'testzone-negative', domain: 'pet-food', item: 2, obligation: 'standard-contract-or-certification', threshold: '3 ≤ n < 10', before: 2, added: 1 }),
    ]);
    expect((await counters(gw))['testzone-negative/pet-food/limited']).toBe(2);
  });

  it('refuses listed data of a positive list until the zone filing exists, and counts other PI on the national counters', async () => {
    const listed = { orders: [{ consigneeName: '李四', consigneePhone: '13700000001' }] };
    const refused = await postJson(`${gw.dataUrl}/cold/o`, listed);
    expect(refused.status).toBe(451);
    expect(refused.json.rules).toEqual([expect.objectContaining({ list: 'testzone-positive', item: 1, obligation: 'ftz-filing' })]);

    // Data the positive list does not name falls back to the national rules: company-wide counters.
    const other = await postJson(`${gw.dataUrl}/cold/o`, { orders: [{ idNumber: residentId(42) }] });
    expect(other.status).toBe(201);
    expect((await counters(gw))['cn-national/national/general']).toBe(1);
  });

  it('decides category rows that apply to all scenarios by their indicators, field name or keyword', async () => {
    const byField = await postJson(`${gw.dataUrl}/factory/r`, { rows: [{ product: '钛合金板', annualCapacity: '50000 t' }] });
    expect(byField.status).toBe(451);
    expect(byField.json).toMatchObject({ reason: 'important-data', rules: [expect.objectContaining({ list: 'testzone-categories', item: 1, obligation: 'security-assessment', indicators: ['capacity'] })] });
    const byKeyword = await postJson(`${gw.dataUrl}/factory/r`, { rows: [{ note: '本厂年产能约五万吨' }] });
    expect(byKeyword.status).toBe(451);
    const plain = await postJson(`${gw.dataUrl}/factory/r`, { rows: [{ product: '钛合金板', quantity: 3 }] });
    expect(plain.status).toBe(201);
    // A refused transfer adds nobody, even when what refused it was an indicator, not a threshold.
    const withPerson = await postJson(`${gw.dataUrl}/factory/r`, { rows: [{ annualCapacity: '5万吨', idNumber: residentId(7) }] });
    expect(withPerson.status).toBe(451);
    expect((await counters(gw))['testzone-categories/industry/general']).toBe(0);
  });

  it('swaps filings in by hot reload, without a restart; the evidence and /api/status name the revision that decided', async () => {
    const before = gw.snapshot().policy.revision;
    const refused = await postJson(`${gw.dataUrl}/pets/o`, { orders: owners(2, 1) });
    expect(refused.status).toBe(451);

    writeFileSync(
      join(env.dir, 'xborder.yaml'),
      stringify({
        ...baseOf(env),
        ...config([
          { id: 'SC-PETS', kind: 'standard-contract', covers: { list: 'testzone-negative', items: [2] }, effective: '2026-01-01', expires: '2099-01-01' },
          { id: 'FTZ-COLD', kind: 'ftz-filing', covers: { list: 'testzone-positive' }, effective: '2026-01-01', expires: '2099-01-01' },
        ]),
      }),
    );
    // A new pack arrives with the reload too: the policy revision changes.
    copyFileSync(join(REPO, 'test', 'fixtures', 'new-lists', 'testzone-negative.yaml'), join(packs, 'zz-copy.yaml'));
    const dup = await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}` } });
    expect(dup.status).toBe(422); // the copy defines the same pack id: refused, running policy kept
    expect(((await dup.json()) as { code: string; cause: string }).code).toBe('XB_ADMIN_RELOAD_REFUSED');
    expect(gw.snapshot().policy.revision).toBe(before);
    writeFileSync(join(packs, 'zz-copy.yaml'), readFileSync(join(packs, 'zz-copy.yaml'), 'utf8').replace('id: testzone-negative\nkind', 'id: testzone-negative-copy\nkind').replace(/ {2}id: testzone-negative\n/, '  id: testzone-negative-copy\n'));

    const res = await fetch(`${gw.adminUrl}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}` } });
    expect(res.status).toBe(200);
    const reloaded = (await res.json()) as { policyRevision: string; previousRevision: string; restartRequired: string[] };
    expect(reloaded.previousRevision).toBe(before);
    expect(reloaded.policyRevision).not.toBe(before);
    expect(reloaded.restartRequired).toEqual([]);

    const allowed = await postJson(`${gw.dataUrl}/pets/o`, { orders: owners(2, 1) });
    expect(allowed.status).toBe(201);
    expect((await postJson(`${gw.dataUrl}/cold/o`, { orders: [{ consigneeName: '李四', consigneePhone: '13700000001' }] })).status).toBe(201);

    const status = (await (await fetch(`${gw.adminUrl}/api/status`, { headers: { authorization: `Bearer ${gw.adminToken}` } })).json()) as {
      policy: { revision: string; packs: { id: string; digest: string }[] };
    };
    expect(status.policy.revision).toBe(reloaded.policyRevision);
    expect(status.policy.packs.find((p) => p.id === 'testzone-negative')?.digest).toMatch(/^[0-9a-f]{64}$/);
    const line = decisionLines(env.logLines).find((l) => l['transferId'] === allowed.headers.get('x-xborder-transfer-id'));
    expect(line?.['policyRevision']).toBe(reloaded.policyRevision);
    // In the evidence chain: the refused transfer under the old revision, the RELOAD, the allowed one under the new.
    const records = listSegments(join(env.dir, 'data', 'evidence', 'gw-test')).flatMap((s) =>
      [...readFrames(readFileSync(s))].flatMap((r) => (r.kind === 'frame' ? [recordToObject(r.frame.record)] : [])),
    );
    const byId = (id: string | null) => records.find((r) => r.kind === 'TRANSFER' && r.transferId === id);
    expect(byId(refused.headers.get('x-xborder-transfer-id'))?.transfer?.policyRevision).toBe(before);
    expect(byId(allowed.headers.get('x-xborder-transfer-id'))?.transfer?.policyRevision).toBe(reloaded.policyRevision);
    expect(records.filter((r) => r.kind === 'RELOAD').map((r) => r.lifecycle?.policyRevision)).toEqual([reloaded.policyRevision]);
  });
});

/** The base config testEnv wrote, so a rewrite keeps ports, keys and data directory. */
function baseOf(env: TestEnv): Record<string, unknown> {
  return parse(readFileSync(join(env.dir, 'xborder.yaml'), 'utf8')) as Record<string, unknown>;
}
