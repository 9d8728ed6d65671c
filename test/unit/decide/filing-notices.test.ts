/**
 * What a compliance officer is told about a filing in use (agent/decide/filings.ts): its deadlines
 * in PRC working days, and transfers beyond what it declared. Each row reads as a sentence: the
 * filing, the day (or the transfer) → the notices, in full.
 *
 *   CAC Order 13 Art. 7     a standard contract is filed within 10 working days after it takes effect
 *   CAC Order 16 Art. 9     a security assessment's extension: within the last 60 working days before expiry
 *   Fujian FTZ Art. 13      a zone filing's extension: within the last 60 working days before expiry;
 *                           a material change (scope, volume, recipient, purpose or manner) needs a new filing
 *   Beijing Art. 11(二)     the zone filing is updated when the transfer changes
 *
 * 2026 dates follow the State Council's 2026 holiday notice; 2027 is a year this version of the
 * holiday calendar does not know, counted Monday–Friday less 1 Jan, 1–2 May and 1–3 Oct.
 */
import { describe, expect, it } from 'vitest';
import { filingDeadlines, materialChanges, type Filing, type Observed } from '../../../agent/decide/filings.js';
import type { Notice, NoticeCode } from '../../../agent/types.js';

const RECIPIENT = 'Example Logistics Pte. Ltd.';
const ESTIMATE = '(Monday–Friday less 1 January, 1–2 May and 1–3 October)';

const filing = (id: string, kind: Filing['kind'], effective: string, expires: string, over: Partial<Filing> = {}): Filing => ({
  id,
  kind,
  covers: { list: 'guangxi-2025', domains: ['live-commerce'], recipients: [RECIPIENT] },
  effective,
  expires,
  ...over,
});

/** Took effect Monday 28 Sep 2026: due by Friday 16 Oct, ten working days across 国庆节 and Sat 10 Oct. */
const contract = (filedOn?: string) => filing('SC-1', 'standard-contract', '2026-09-28', '2029-09-27', filedOn ? { filedOn } : {});
/** Took effect Monday 9 Feb 2026: due by Saturday 28 Feb, a 调休 working day after 春节. */
const contractSpring = filing('SC-2', 'standard-contract', '2026-02-09', '2029-02-08');
/** Took effect Thursday 24 Dec 2026: due, by the estimate, Friday 8 Jan 2027 (元旦 skipped). */
const contract2027 = (filedOn?: string) => filing('SC-27', 'standard-contract', '2026-12-24', '2029-12-23', filedOn ? { filedOn } : {});
/** Expires Friday 30 Oct 2026: its window opens Monday 3 Aug (Monday–Friday alone: 7 Aug). */
const assessment = filing('SA-1', 'security-assessment', '2023-10-31', '2026-10-30');
/** Expires Thursday 31 Dec 2026: its window opens Friday 9 Oct. */
const zoneFiling = filing('FZ-1', 'ftz-filing', '2023-12-31', '2026-12-31', { covers: { list: 'fujian-important-data' } });
/** Expires Wednesday 31 Mar 2027: its window opens, by the estimate, Wednesday 6 Jan 2027. */
const assessment2027 = filing('SA-27', 'security-assessment', '2024-03-31', '2027-03-31');

const overdue = (detail: string) => ({ code: 'filing-overdue' as const, detail });
const renewal = (detail: string) => ({ code: 'filing-renewal-window' as const, detail });
const unknown = (detail: string) => ({ code: 'holiday-calendar-unknown' as const, detail });

const SC1_DUE = 'standard contract SC-1 took effect 2026-09-28; it had to be filed by 2026-10-16 (10 working days)';
const SC27_DUE = 'standard contract SC-27 took effect 2026-12-24; it had to be filed by 2027-01-08 (10 working days)';
const SC27_ESTIMATE = unknown(`the holiday calendar for 2027 is not known to this build, so the filing deadline 2027-01-08 of standard contract SC-27 is an estimate ${ESTIMATE}`);
const SA27_ESTIMATE = unknown(`the holiday calendar for 2027 is not known to this build, so the renewal window's opening 2027-01-06 of security assessment SA-27 is an estimate ${ESTIMATE}`);

interface DeadlineCase {
  readonly description: string;
  readonly filing: Filing;
  readonly day: string;
  readonly expected: readonly { code: NoticeCode; detail: string }[];
}

const deadlineCases: DeadlineCase[] = [
  // Standard contract: filed within 10 working days after it takes effect (Order 13 Art. 7).
  { description: 'a contract not yet filed, on its last day to file (Fri 16 Oct, after 国庆节) → nothing yet', filing: contract(), day: '2026-10-16', expected: [] },
  {
    description: 'a contract with no filing date, the Monday after its deadline → overdue',
    filing: contract(),
    day: '2026-10-19',
    expected: [overdue(`${SC1_DUE} and has no filing date`)],
  },
  {
    description: 'a contract that would be on time counting Monday–Friday only (12 Oct) is not overdue on 13 Oct: 国庆节 and Sat 10 Oct count',
    filing: contract(),
    day: '2026-10-13',
    expected: [],
  },
  { description: 'a contract filed on its last day → nothing, ever', filing: contract('2026-10-16'), day: '2027-06-01', expected: [] },
  { description: 'a contract filed one working day late → noted as late, long after', filing: contract('2026-10-19'), day: '2027-06-01', expected: [overdue(`${SC1_DUE} and was filed late, on 2026-10-19`)] },
  {
    description: 'a contract whose filing date is still to come, past its deadline → overdue: not filed yet',
    filing: contract('2026-10-21'),
    day: '2026-10-19',
    expected: [overdue(`${SC1_DUE} and has not been filed by 2026-10-19`)],
  },
  { description: 'a contract that took effect 9 Feb, on Sat 28 Feb (a 调休 working day, its 10th) → nothing yet', filing: contractSpring, day: '2026-02-28', expected: [] },
  {
    description: 'the same contract, Monday 2 Mar → overdue since Sat 28 Feb',
    filing: contractSpring,
    day: '2026-03-02',
    expected: [overdue('standard contract SC-2 took effect 2026-02-09; it had to be filed by 2026-02-28 (10 working days) and has no filing date')],
  },
  { description: 'a contract not yet in effect → nothing', filing: contract(), day: '2026-09-27', expected: [] },
  { description: 'a contract past its expiry → nothing (it covers nothing any more)', filing: contract(), day: '2029-09-28', expected: [] },

  // Security assessment: extension within the last 60 working days before expiry (Order 16 Art. 9).
  { description: 'an assessment expiring 30 Oct 2026, on Fri 31 Jul → not yet in its window', filing: assessment, day: '2026-07-31', expected: [] },
  {
    description: 'the same assessment on Mon 3 Aug, the 60th working day before expiry → renewal window',
    filing: assessment,
    day: '2026-08-03',
    expected: [renewal('security assessment SA-1 expires 2026-10-30; its extension may be applied for from 2026-08-03 (the last 60 working days before expiry)')],
  },
  {
    description: 'the same assessment on Wed 5 Aug (Monday–Friday alone would open the window on 7 Aug) → renewal window',
    filing: assessment,
    day: '2026-08-05',
    expected: [renewal('security assessment SA-1 expires 2026-10-30; its extension may be applied for from 2026-08-03 (the last 60 working days before expiry)')],
  },
  {
    description: 'the same assessment on its last valid day → renewal window',
    filing: assessment,
    day: '2026-10-30',
    expected: [renewal('security assessment SA-1 expires 2026-10-30; its extension may be applied for from 2026-08-03 (the last 60 working days before expiry)')],
  },
  { description: 'the same assessment the day after expiry → nothing (it no longer covers anything)', filing: assessment, day: '2026-10-31', expected: [] },

  // Zone filing: Fujian Art. 13, the same 60 working days.
  { description: 'a zone filing expiring 31 Dec 2026, on Thu 8 Oct → not yet in its window', filing: zoneFiling, day: '2026-10-08', expected: [] },
  {
    description: 'the same zone filing on Fri 9 Oct → renewal window',
    filing: zoneFiling,
    day: '2026-10-09',
    expected: [renewal('zone filing FZ-1 expires 2026-12-31; its extension may be applied for from 2026-10-09 (the last 60 working days before expiry)')],
  },

  // Mechanisms with no deadline here.
  { description: 'a certification in the last weeks of its validity → nothing', filing: filing('CERT-1', 'certification', '2023-10-31', '2026-10-30'), day: '2026-10-20', expected: [] },
  { description: 'an export licence → nothing', filing: filing('EL-1', 'export-licence', '2026-01-01', '2026-10-30'), day: '2026-10-20', expected: [] },

  // 2027: dates estimated by the stated policy, reported as such when they matter.
  { description: 'a contract from 24 Dec 2026 not yet filed, on 28 Dec (only known days counted so far) → nothing', filing: contract2027(), day: '2026-12-28', expected: [] },
  { description: 'the same contract on 5 Jan 2027, before its estimated deadline → the deadline is an estimate', filing: contract2027(), day: '2027-01-05', expected: [SC27_ESTIMATE] },
  { description: 'the same contract on 11 Jan 2027, unfiled → overdue by the estimate, and said to be an estimate', filing: contract2027(), day: '2027-01-11', expected: [overdue(`${SC27_DUE} and has no filing date`), SC27_ESTIMATE] },
  { description: 'the same contract filed on 30 Dec 2026, within the known calendar → nothing', filing: contract2027('2026-12-30'), day: '2027-06-01', expected: [] },
  { description: 'the same contract filed on 7 Jan 2027, a day inside the estimate → on time by the estimate only', filing: contract2027('2027-01-07'), day: '2027-06-01', expected: [SC27_ESTIMATE] },
  { description: 'the same contract filed on 1 Feb 2027 → late, by an estimated deadline', filing: contract2027('2027-02-01'), day: '2027-06-01', expected: [overdue(`${SC27_DUE} and was filed late, on 2027-02-01`), SC27_ESTIMATE] },
  { description: 'an assessment expiring 31 Mar 2027, on 1 Dec 2026 → nothing (far from its window whatever the calendar)', filing: assessment2027, day: '2026-12-01', expected: [] },
  { description: 'the same assessment on 28 Dec 2026, days before its estimated window → the opening is an estimate', filing: assessment2027, day: '2026-12-28', expected: [SA27_ESTIMATE] },
  {
    description: 'the same assessment on 6 Jan 2027 → renewal window, from an estimated opening',
    filing: assessment2027,
    day: '2027-01-06',
    expected: [renewal('security assessment SA-27 expires 2027-03-31; its extension may be applied for from 2027-01-06 (the last 60 working days before expiry)'), SA27_ESTIMATE],
  },
];

describe('filingDeadlines: renewal windows and filing deadlines, in working days', () => {
  it.each(deadlineCases)('$description', ({ filing: f, day, expected }) => {
    const notices = filingDeadlines(f, day);
    expect(notices.map(({ code, detail }) => ({ code, detail }))).toEqual(expected);
    for (const n of notices) expect(n.filing).toBe(f.id);
  });

  it('cites the article each deadline rests on', () => {
    const citationOf = (notices: Notice[], code: NoticeCode) => notices.find((n) => n.code === code)?.citation;
    expect(citationOf(filingDeadlines(contract(), '2026-10-19'), 'filing-overdue')).toMatch(/^CAC Order No\. 13, Art\. 7 /);
    expect(citationOf(filingDeadlines(assessment, '2026-08-03'), 'filing-renewal-window')).toMatch(/^CAC Order No\. 16, Art\. 9 /);
    expect(citationOf(filingDeadlines(zoneFiling, '2026-10-09'), 'filing-renewal-window')).toMatch(/^Fujian FTZ measures, Art\. 13 /);
    expect(citationOf(filingDeadlines(contract2027(), '2027-01-11'), 'holiday-calendar-unknown')).toMatch(/全国年节及纪念日放假办法/);
  });
});

describe('materialChanges: a transfer beyond what its filing declared', () => {
  const declared = {
    scenarios: ['cross-border-delivery'],
    dataItems: ['shipper-name', 'shipping-address', 'mobile-number'],
    recipients: [RECIPIENT],
    maxPersons: 100_000,
  };
  const contractDeclared = filing('SC-9', 'standard-contract', '2026-01-05', '2029-01-04', { declared });
  const zoneDeclared = filing('FZ-9', 'ftz-filing', '2026-01-05', '2029-01-04', { declared });
  const asDeclared: Observed = { scenario: 'cross-border-delivery', recipient: RECIPIENT, dataItems: ['shipper-name', 'mobile-number'], persons: 100_000 };

  const cases: { description: string; filing: Filing; observed: Observed; expected: string[] }[] = [
    { description: 'a transfer within everything declared, the counter exactly at the declared maximum → nothing', filing: contractDeclared, observed: asDeclared, expected: [] },
    {
      description: 'one person beyond the declared maximum → volume',
      filing: contractDeclared,
      observed: { ...asDeclared, persons: 100_001 },
      expected: ['standard contract SC-9 declared at most 100,000 persons; its counter holds 100,001 with this transfer (a possible material change)'],
    },
    {
      description: 'beyond the declared maximum, the counter named → volume, naming the counter',
      filing: contractDeclared,
      observed: { ...asDeclared, persons: 150_000, counter: 'guangxi-2025/live-commerce/limited' },
      expected: ['standard contract SC-9 declared at most 100,000 persons; guangxi-2025/live-commerce/limited holds 150,000 with this transfer (a possible material change)'],
    },
    {
      description: 'undeclared data items → one notice naming each once',
      filing: contractDeclared,
      observed: { ...asDeclared, dataItems: ['shipper-name', 'passport-number', 'bank-card-number', 'passport-number'] },
      expected: ['standard contract SC-9 did not declare the data items passport-number, bank-card-number, which this transfer carries (a possible material change)'],
    },
    {
      description: 'another recipient → recipient',
      filing: contractDeclared,
      observed: { ...asDeclared, recipient: 'Other Freight Ltd.' },
      expected: [`standard contract SC-9 declared the recipients ${RECIPIENT}; this transfer goes to Other Freight Ltd. (a possible material change)`],
    },
    {
      description: 'another scenario → scenario',
      filing: contractDeclared,
      observed: { ...asDeclared, scenario: 'live-selling' },
      expected: ["standard contract SC-9 declared the scenarios cross-border-delivery; this transfer's route is in live-selling (a possible material change)"],
    },
    {
      description: 'all four at once → four notices: volume, items, recipient, scenario',
      filing: zoneDeclared,
      observed: { scenario: 'live-selling', recipient: 'Other Freight Ltd.', dataItems: ['face-image'], persons: 200_000 },
      expected: [
        'zone filing FZ-9 declared at most 100,000 persons; its counter holds 200,000 with this transfer (a possible material change)',
        'zone filing FZ-9 did not declare the data items face-image, which this transfer carries (a possible material change)',
        `zone filing FZ-9 declared the recipients ${RECIPIENT}; this transfer goes to Other Freight Ltd. (a possible material change)`,
        "zone filing FZ-9 declared the scenarios cross-border-delivery; this transfer's route is in live-selling (a possible material change)",
      ],
    },
    {
      description: 'a filing with no declared side → nothing, however different the transfer',
      filing: filing('SC-0', 'standard-contract', '2026-01-05', '2029-01-04'),
      observed: { scenario: 'live-selling', recipient: 'Other Freight Ltd.', dataItems: ['face-image'], persons: 5_000_000 },
      expected: [],
    },
    {
      description: 'a filing that declared only a maximum → only the volume is checked',
      filing: filing('SC-M', 'standard-contract', '2026-01-05', '2029-01-04', { declared: { maxPersons: 1_000 } }),
      observed: { scenario: 'live-selling', recipient: 'Other Freight Ltd.', dataItems: ['face-image'], persons: 1_000 },
      expected: [],
    },
  ];

  it.each(cases)('$description', ({ filing: f, observed, expected }) => {
    const notices = materialChanges(f, observed);
    expect(notices.map((n) => n.detail)).toEqual(expected);
    for (const n of notices) {
      expect(n.code).toBe('material-change');
      expect(n.filing).toBe(f.id);
    }
  });

  it('names the counter on a volume notice when it is given', () => {
    const [volume] = materialChanges(contractDeclared, { ...asDeclared, persons: 150_000, counter: 'guangxi-2025/live-commerce/limited' });
    expect(volume?.counter).toBe('guangxi-2025/live-commerce/limited');
  });

  it('cites Order 13 for a standard contract, and Fujian Art. 13 with Beijing Art. 11(二) for a zone filing, by what changed', () => {
    const all: Observed = { scenario: 'live-selling', recipient: 'Other Freight Ltd.', dataItems: ['face-image'], persons: 200_000 };
    for (const n of materialChanges(contractDeclared, all)) expect(n.citation).toBe('CAC Order No. 13 (a standard contract is re-filed on material change)');
    const zone = materialChanges(zoneDeclared, all).map((n) => n.citation);
    expect(zone).toHaveLength(4);
    for (const c of zone) expect(c).toMatch(/^Fujian FTZ measures, Art\. 13 \(.*\); Beijing two-zones measures, Art\. 11\(二\)/);
    expect(zone[0]).toContain('出境数据量级大幅度增加');
    expect(zone[1]).toContain('范围发生重大变化');
    expect(zone[2]).toContain('境外接收方发生重大变化');
    expect(zone[3]).toContain('目的、方式发生重大变化');
  });
});
