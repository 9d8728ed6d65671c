/**
 * decide() and blockedRanges() over the real Guangxi 2025 live-commerce counters. Each row reads
 * as a sentence: where the counters stood, what the transfer adds, which filings the company holds
 * → the decision and the list items it cites.
 *
 * Guangxi 2025 list, domain 3 (live-streaming cross-border e-commerce):
 *   item 4  limited   n ≥ 2,000,000                        security assessment
 *   item 5  general   n ≥ 1,000,000, or sensitive n ≥ 10,000  security assessment
 *   item 6  limited   100,000 ≤ n < 2,000,000               standard contract or certification
 *   item 7  general   100,000 ≤ n < 1,000,000, or sensitive 1 ≤ n < 10,000   standard contract or certification
 */
import { describe, expect, it } from 'vitest';
import { reaches } from '../../../agent/count/ranges.js';
import { blockedRanges, decide, decideUninspectable, type DecideContext, type Filing } from '../../../agent/decide/index.js';
import type { CountResult, CounterDelta, DecisionKind } from '../../../agent/types.js';
import { countersOf, liveCommerce } from '../support/policy.js';

const RECIPIENT = 'Example Logistics Pte. Ltd.';
const TODAY = '2025-06-01';

const delta = (id: 'limited' | 'general' | 'sensitive') => (before: number, added: number): CounterDelta => ({
  counter: `guangxi-2025/live-commerce/${id}`,
  before,
  added,
  after: before + added,
  persons: [],
});
/** limited(before, added): the limited counter (items 4 and 6) moves from `before` by `added`. */
const limited = delta('limited');
/** general(before, added): the general counter (items 5 and 7). */
const general = delta('general');
/** sensitive(before, added): the sensitive counter (items 5 and 7). */
const sensitive = delta('sensitive');

/** A filing valid 2025-01-01 … 2027-12-31 for the live-commerce domain and our recipient. */
const filing = (id: string, kind: Filing['kind'], items: number[] | undefined, over: Partial<Filing> = {}): Filing => ({
  id,
  kind,
  covers: { list: 'guangxi-2025', domains: ['live-commerce'], ...(items ? { items } : {}), recipients: [RECIPIENT] },
  effective: '2025-01-01',
  expires: '2027-12-31',
  // Filed within 10 working days of taking effect (Order 13 Art. 7): no overdue notice.
  ...(kind === 'standard-contract' ? { filedOn: '2025-01-10' } : {}),
  ...over,
});
const CONTRACT_6 = filing('SC-6', 'standard-contract', [6]);
const CONTRACT_7 = filing('SC-7', 'standard-contract', [7]);
const CERT_6 = filing('CERT-6', 'certification', [6]);
const ASSESSMENT = filing('SA-all', 'security-assessment', undefined);
const ASSESSMENT_6 = filing('SA-6', 'security-assessment', [6]);
const ASSESSMENT_4 = filing('SA-4', 'security-assessment', [4]);

interface Case {
  readonly description: string;
  readonly counters: readonly CounterDelta[];
  readonly filings?: readonly Filing[];
  readonly mode?: 'enforce' | 'monitor';
  readonly day?: string;
  readonly expected: { kind: DecisionKind; reason: string; items: number[]; filing?: string; enforceWouldBlock?: boolean };
}

const cases: Case[] = [
  // Below every threshold.
  {
    description: 'a transfer with no personal information is allowed',
    counters: [],
    expected: { kind: 'allow', reason: 'no-pi', items: [] },
  },
  {
    description: 'the first 50 persons of the year on the limited counter are allowed',
    counters: [limited(0, 50)],
    expected: { kind: 'allow', reason: 'within-thresholds', items: [] },
  },
  {
    description: 'the 99,999th person on the limited counter is still allowed',
    counters: [limited(99_998, 1)],
    expected: { kind: 'allow', reason: 'within-thresholds', items: [] },
  },
  {
    description: 'the 99,999th person on the general counter is still allowed',
    counters: [general(99_998, 1)],
    expected: { kind: 'allow', reason: 'within-thresholds', items: [] },
  },

  // Item 6: 100,000 persons on the limited counter need a standard contract or certification.
  {
    description: 'the 100,000th person on the limited counter is blocked without a filing (item 6)',
    counters: [limited(99_999, 1)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a transfer that crosses 100,000 in one go is blocked (item 6)',
    counters: [limited(50_000, 60_000)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'inside the item 6 band, re-sending persons already counted is still blocked',
    counters: [limited(150_000, 0)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'the 100,000th person is allowed with a standard contract covering item 6',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_6],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SC-6' },
  },
  {
    description: 'a certification covering item 6 serves as well',
    counters: [limited(99_999, 1)],
    filings: [CERT_6],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'CERT-6' },
  },
  {
    description: 'a security assessment covering item 6 serves as well (the stricter mechanism)',
    counters: [limited(99_999, 1)],
    filings: [ASSESSMENT_6],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SA-6' },
  },
  {
    description: 'a standard contract naming no items covers every contract item of its list',
    counters: [limited(99_999, 1)],
    filings: [filing('SC-any', 'standard-contract', undefined)],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SC-any' },
  },
  {
    description: 'a standard contract covers on its first day',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_6],
    day: '2025-01-01',
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SC-6' },
  },
  {
    description: 'a standard contract covers on its last day',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_6],
    day: '2027-12-31',
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SC-6' },
  },
  {
    description: 'an expired standard contract does not cover',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_6],
    day: '2028-01-01',
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a standard contract not yet effective does not cover',
    counters: [limited(99_999, 1)],
    filings: [filing('SC-late', 'standard-contract', [6], { effective: '2025-07-01' })],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a standard contract with another recipient does not cover',
    counters: [limited(99_999, 1)],
    filings: [filing('SC-other', 'standard-contract', [6], { covers: { list: 'guangxi-2025', items: [6], recipients: ['Other Freight Ltd.'] } })],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a standard contract for another item does not cover',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_7],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a standard contract for another domain of the list does not cover',
    counters: [limited(99_999, 1)],
    filings: [filing('SC-dom', 'standard-contract', [6], { covers: { list: 'guangxi-2025', domains: ['cross-border-trade'], items: [6] } })],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'a standard contract for another list does not cover',
    counters: [limited(99_999, 1)],
    filings: [filing('SC-list', 'standard-contract', [6], { covers: { list: 'fujian-2024', items: [6] } })],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },
  {
    description: 'an FTZ filing does not discharge a standard-contract obligation',
    counters: [limited(99_999, 1)],
    filings: [filing('FTZ-1', 'ftz-filing', [6])],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [6] },
  },

  // Item 4: 2,000,000 persons on the limited counter need a security assessment.
  {
    description: 'the 2,000,000th person on the limited counter is blocked without filings (items 4 and 6)',
    counters: [limited(1_999_999, 1)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [4, 6] },
  },
  {
    description: 'the 2,000,000th person is blocked with only a standard contract: item 4 needs a security assessment',
    counters: [limited(1_999_999, 1)],
    filings: [CONTRACT_6],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [4] },
  },
  {
    description: 'the 2,000,000th person is allowed with a security assessment for the domain',
    counters: [limited(1_999_999, 1)],
    filings: [ASSESSMENT],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [4, 6], filing: 'SA-all' },
  },
  {
    description: 'past 2,000,000 only item 4 applies, and a security assessment for item 4 covers it',
    counters: [limited(2_500_000, 10)],
    filings: [ASSESSMENT_4],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [4], filing: 'SA-4' },
  },
  {
    description: 'a standard contract never covers item 4, however the counter got there',
    counters: [limited(2_500_000, 10)],
    filings: [filing('SC-4', 'standard-contract', [4])],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [4] },
  },

  // Items 5 and 7 on the general and sensitive counters.
  {
    description: 'the 100,000th person on the general counter needs a standard contract (item 7)',
    counters: [general(99_999, 1)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [7] },
  },
  {
    description: 'the first sensitive person of the year needs a standard contract (item 7)',
    counters: [general(0, 1), sensitive(0, 1)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [7] },
  },
  {
    description: 'the first sensitive person is allowed with a standard contract covering item 7',
    counters: [general(0, 1), sensitive(0, 1)],
    filings: [CONTRACT_7],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [7], filing: 'SC-7' },
  },
  {
    description: 'the 10,000th sensitive person needs a security assessment (item 5)',
    counters: [general(5_000, 1), sensitive(9_999, 1)],
    filings: [CONTRACT_7],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [5] },
  },
  {
    description: 'the 1,000,000th person on the general counter is blocked without filings (items 5 and 7)',
    counters: [general(999_999, 1)],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [5, 7] },
  },
  {
    description: 'the 1,000,000th person on the general counter needs a security assessment even with a standard contract (item 5)',
    counters: [general(999_999, 1)],
    filings: [CONTRACT_7],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [5] },
  },
  {
    description: 'the 1,000,000th person on the general counter is allowed with a security assessment',
    counters: [general(999_999, 1)],
    filings: [ASSESSMENT],
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [5, 7], filing: 'SA-all' },
  },
  {
    description: 'a filing for item 6 does nothing for the general counter',
    counters: [general(99_999, 1)],
    filings: [CONTRACT_6],
    expected: { kind: 'block', reason: 'threshold-uncovered', items: [7] },
  },

  // Monitor mode flags what enforce would block; it never turns a block into a silent allow.
  {
    description: 'in monitor mode, the 100,000th limited person without a filing is flagged',
    counters: [limited(99_999, 1)],
    mode: 'monitor',
    expected: { kind: 'flag', reason: 'threshold-uncovered', items: [6], enforceWouldBlock: true },
  },
  {
    description: 'in monitor mode, the first sensitive person without a filing is flagged',
    counters: [general(0, 1), sensitive(0, 1)],
    mode: 'monitor',
    expected: { kind: 'flag', reason: 'threshold-uncovered', items: [7], enforceWouldBlock: true },
  },
  {
    description: 'in monitor mode, the 2,000,000th person with only a contract is flagged with both items',
    counters: [limited(1_999_999, 1)],
    filings: [CONTRACT_6],
    mode: 'monitor',
    expected: { kind: 'flag', reason: 'threshold-uncovered', items: [4, 6], enforceWouldBlock: true },
  },
  {
    description: 'in monitor mode, a covered transfer is allowed',
    counters: [limited(99_999, 1)],
    filings: [CONTRACT_6],
    mode: 'monitor',
    expected: { kind: 'allow', reason: 'covered-by-filing', items: [6], filing: 'SC-6', enforceWouldBlock: false },
  },
  {
    description: 'in monitor mode, a transfer below the thresholds is allowed',
    counters: [limited(10, 1)],
    mode: 'monitor',
    expected: { kind: 'allow', reason: 'within-thresholds', items: [], enforceWouldBlock: false },
  },
];

const counters = countersOf(liveCommerce());
/** No alert level (1: a counter is never at it short of the threshold), no floors, nothing held. */
const QUIET = { alertLevel: 1, floorRules: [], personsHeld: { personalInformation: 0, sensitive: 0, accountsOrMedical: 0 } };
const contextOf = (c: Case): DecideContext => ({
  counters,
  indicatorDomains: [],
  scenario: 'cross-border-delivery',
  ciio: false,
  ciioRules: [],
  ...QUIET,
  filings: c.filings ?? [],
  recipient: RECIPIENT,
  day: c.day ?? TODAY,
  mode: c.mode ?? 'enforce',
});
const countedOf = (c: Case): CountResult => ({
  year: 2025,
  admitted: true,
  counters: c.counters,
  persons: c.counters.length > 0 ? [Buffer.alloc(16, 1)] : [],
});

describe('decide', () => {
  it.each(cases)('$description', (c) => {
    const decision = decide(countedOf(c), [], contextOf(c));
    expect(decision.kind).toBe(c.expected.kind);
    expect(decision.reason).toBe(c.expected.reason);
    expect(decision.rules.map((r) => r.item).sort()).toEqual(c.expected.items);
    expect(decision.enforceWouldBlock).toBe(c.expected.enforceWouldBlock ?? c.expected.kind === 'block');
    if (c.expected.filing) for (const r of decision.rules) expect(r.filing).toBe(c.expected.filing);
    if (c.expected.kind === 'block') for (const r of decision.rules) expect(r.filing).toBeUndefined();
  });
});

describe('blockedRanges agrees with decide (the store refuses exactly what decide blocks)', () => {
  it.each(cases)('$description', (c) => {
    const ctx = contextOf(c);
    const enforce: DecideContext = { ...ctx, mode: 'enforce' };
    const wouldBlock = c.counters.some((d) => {
      const counter = counters.get(d.counter);
      if (!counter) throw new Error(`no counter ${d.counter}`);
      return blockedRanges(counter, [], enforce).some((r) => reaches(r, d.before, d.after));
    });
    const decision = decide(countedOf(c), [], ctx);
    expect(decision.enforceWouldBlock).toBe(wouldBlock);
    if (ctx.mode === 'enforce') expect(decision.kind === 'block').toBe(wouldBlock);
    else {
      expect(decision.kind).not.toBe('block');
      for (const counter of counters.values()) expect(blockedRanges(counter, [], ctx)).toEqual([]);
    }
  });
});

describe('what a block cites', () => {
  it('names the regime, list, domain, item, obligation, counter, threshold and counts', () => {
    const decision = decide(countedOf({ description: '', counters: [limited(99_999, 3)], expected: { kind: 'block', reason: '', items: [] } }), [], {
      counters,
      indicatorDomains: [],
      scenario: 'cross-border-delivery',
      ciio: false,
      ciioRules: [],
      ...QUIET,
      filings: [],
      recipient: RECIPIENT,
      day: TODAY,
      mode: 'enforce',
    });
    expect(decision.rules).toEqual([
      {
        regime: 'guangxi',
        list: 'guangxi-2025',
        domain: 'live-commerce',
        item: 6,
        obligation: 'standard-contract-or-certification',
        counter: 'guangxi-2025/live-commerce/limited',
        threshold: '100,000 ≤ n < 2,000,000',
        before: 99_999,
        added: 3,
        indicators: [],
        citation: 'Guangxi 2025 list, domain 3, item 6',
        filing: undefined,
        remedies: ['security-assessment', 'standard-contract', 'certification'],
        summary:
          'guangxi-2025/live-commerce item 6: 100,000 ≤ n < 2,000,000 on limited (99,999 + 3) needs standard-contract-or-certification; ' +
          'no filing covers it; a security assessment, standard contract or certification would allow it — Guangxi 2025 list, domain 3, item 6',
      },
    ]);
  });

  it('writes an unbounded threshold as n ≥ min', () => {
    const decision = decide(countedOf({ description: '', counters: [limited(1_999_999, 1)], expected: { kind: 'block', reason: '', items: [] } }), [], {
      counters,
      indicatorDomains: [],
      scenario: 'cross-border-delivery',
      ciio: false,
      ciioRules: [],
      ...QUIET,
      filings: [CONTRACT_6],
      recipient: RECIPIENT,
      day: TODAY,
      mode: 'enforce',
    });
    expect(decision.rules.map((r) => [r.item, r.threshold, r.obligation])).toEqual([[4, 'n ≥ 2,000,000', 'security-assessment']]);
  });
});

describe('blockedRanges', () => {
  const limitedCounter = liveCommerce().limited[0];
  const ctx = (filings: Filing[], mode: 'enforce' | 'monitor' = 'enforce'): DecideContext => ({
    counters,
    indicatorDomains: [],
    scenario: 'cross-border-delivery',
    ciio: false,
    ciioRules: [],
    ...QUIET,
    filings,
    recipient: RECIPIENT,
    day: TODAY,
    mode,
  });

  it('lists every uncovered band of the limited counter', () => {
    expect(limitedCounter && blockedRanges(limitedCounter, [], ctx([])).map((r) => [r.min, r.max])).toEqual([
      [100_000, 2_000_000],
      [2_000_000, undefined],
    ]);
  });

  it('drops the bands a valid filing covers', () => {
    expect(limitedCounter && blockedRanges(limitedCounter, [], ctx([CONTRACT_6])).map((r) => [r.min, r.max])).toEqual([[2_000_000, undefined]]);
    expect(limitedCounter && blockedRanges(limitedCounter, [], ctx([ASSESSMENT]))).toEqual([]);
  });

  it('blocks nothing in monitor mode', () => {
    expect(limitedCounter && blockedRanges(limitedCounter, [], ctx([], 'monitor'))).toEqual([]);
  });
});

describe('decideUninspectable', () => {
  it.each([
    { failMode: 'closed', mode: 'enforce', kind: 'block', enforceWouldBlock: true },
    { failMode: 'closed', mode: 'monitor', kind: 'flag', enforceWouldBlock: true },
    { failMode: 'open', mode: 'enforce', kind: 'flag', enforceWouldBlock: false },
    { failMode: 'open', mode: 'monitor', kind: 'flag', enforceWouldBlock: false },
  ] as const)('a body that cannot be inspected on a fail-$failMode route in $mode mode → $kind', ({ failMode, mode, kind, enforceWouldBlock }) => {
    expect(decideUninspectable(failMode, mode)).toEqual({ kind, rules: [], reason: 'uninspectable', enforceWouldBlock });
  });
});
