/**
 * Important-data indicators and the CIIO rule, over the invented packs of test/fixtures/new-lists
 * loaded beside the shipped ones: what fires, what a refused transfer may count, what gets cited.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../../agent/classify/index.js';
import { reaches } from '../../../agent/count/ranges.js';
import { blockedRanges, decide, type DecideContext } from '../../../agent/decide/index.js';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { indexIndicators } from '../../../agent/policy/indicators.js';
import { loadPacks } from '../../../agent/policy/load.js';
import type { Domain } from '../../../agent/policy/types.js';
import type { CountResult, IndicatorHit } from '../../../agent/types.js';

const dir = mkdtempSync(join(tmpdir(), 'xb-ind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const from of [join(PACKAGE_ROOT, 'policy', 'packs'), join(PACKAGE_ROOT, 'test', 'fixtures', 'new-lists')])
  for (const f of readdirSync(from)) cpSync(join(from, f), join(dir, f));
const policy = compilePolicy(loadPacks(dir));
const domain = (ref: string) => policy.domains.get(ref) as Domain;
const national = domain('cn-national/national');
const ciioRules = [national.general, national.sensitive].flatMap((c) => c.rules.filter((r) => r.companies === 'ciio'));

const ctxFor = (d: Domain, over: Partial<DecideContext> = {}): DecideContext => ({
  counters: new Map([...d.limited, d.general, d.sensitive].map((c) => [c.ref, c])),
  indicatorDomains: [d],
  filings: [],
  recipient: 'Partner',
  scenario: 'shipping',
  day: '2026-06-01',
  ciio: false,
  ciioRules,
  mode: 'enforce',
  alertLevel: 1,
  floorRules: [],
  personsHeld: { personalInformation: 0, sensitive: 0, accountsOrMedical: 0 },
  ...over,
});
const counted = (counter: string, before: number, added: number): CountResult => ({
  year: 2026,
  admitted: true,
  counters: [{ counter, before, added, after: before + added, persons: [0] }],
  persons: [Buffer.alloc(16)],
});

describe('a CIIO on a positive-list route', () => {
  // Regression: the CIIO rule was skipped on routes that hold the national counters as a fallback,
  // so a CIIO's listed data left with only the zone's filing.
  const cold = domain('testzone-positive/cold-chain');
  const ctx = ctxFor(cold, { ciio: true, filings: [{ id: 'FTZ', kind: 'ftz-filing', covers: { list: 'testzone-positive' }, effective: '2026-01-01', expires: '2030-01-01' }] });

  it('still needs the security assessment of Order 16 Art. 7(1) for listed data', () => {
    const d = decide(counted('testzone-positive/cold-chain/listed', 0, 1), [], ctx);
    expect(d.kind).toBe('block');
    expect(d.rules.map((r) => [r.list, r.item, r.obligation])).toEqual([['cn-national', 1, 'security-assessment']]);
    const listed = cold.limited[0];
    expect(listed && blockedRanges(listed, [], ctx).some((r) => reaches(r, 0, 1))).toBe(true);
  });

  it('is cited once, from the national counter itself, when other PI falls back there', () => {
    const d = decide(counted('cn-national/national/general', 0, 1), [], ctx);
    expect(d.rules.filter((r) => r.list === 'cn-national' && r.item === 1)).toHaveLength(1);
  });
});

describe('important-data indicators', () => {
  const industry = domain('testzone-categories/industry');
  const hit: IndicatorHit[] = [{ domain: industry.ref, indicator: 'capacity', via: 'field-name' }];

  // Regression: a `block` indicator refused the transfer only after its persons were counted.
  it('refuses a transfer whose block indicator fires before anyone is counted', () => {
    const ctx = ctxFor(industry, { scenario: 'any' });
    for (const c of [industry.general, industry.sensitive]) expect(blockedRanges(c, hit, ctx)).toEqual([{ min: 0, max: undefined }]);
    expect(blockedRanges(industry.general, [], ctx)).toEqual([]);
  });

  // Regression: with nobody in the transfer, a covered important-data rule was not cited.
  it('cites a covered important-data rule and its filing even when the transfer carries no person', () => {
    const filed = ctxFor(industry, {
      scenario: 'any',
      filings: [{ id: 'SA-1', kind: 'security-assessment', covers: { list: 'testzone-categories' }, effective: '2026-01-01', expires: '2030-01-01' }],
    });
    const d = decide({ year: 2026, admitted: true, counters: [], persons: [] }, hit, filed);
    expect(d).toMatchObject({ kind: 'allow', reason: 'covered-by-filing', rules: [expect.objectContaining({ item: 1, filing: 'SA-1', indicators: ['capacity'] })] });
  });

  // Regression: the combined keyword regex reported only the longest of nested keywords.
  it('finds nested and overlapping keywords in one value', () => {
    const index = indexIndicators([...policy.domains.values()].filter((d) => d.list === 'guangxi-important-data'));
    const keywords = [...index.keywords.keys()];
    const outer = keywords.find((k) => keywords.some((inner) => inner !== k && k.includes(inner)));
    expect(outer).toBeDefined();
    const inner = keywords.filter((k) => k !== outer && outer?.includes(k));
    const c = classify({ records: [{ note: `附：${outer}表；另见甲乙` }] }, industry, new Date(), index);
    const found = new Set(c.indicators.map((h) => h.indicator));
    for (const k of [outer as string, ...inner]) for (const ref of index.keywords.get(k) ?? []) expect(found.has(ref.indicator)).toBe(true);
  });

  it('finds keywords that overlap without nesting (甲乙 and 乙丙 in 甲乙丙)', () => {
    const index = {
      fields: new Map(),
      keywords: new Map([
        ['甲乙', [{ domain: 'd', indicator: 'first' }]],
        ['乙丙', [{ domain: 'd', indicator: 'second' }]],
      ]),
      pattern: /甲乙|乙丙/g,
      volumes: [],
    };
    const c = classify({ records: [{ note: '甲乙丙' }] }, industry, new Date(), index);
    expect(c.indicators.map((h) => h.indicator).sort()).toEqual(['first', 'second']);
  });
});
