/**
 * The national rules (CAC Order No. 16) as the shipped `cn-national` pack encodes them, checked
 * against the table "Who needs what" of regs/national-rules.md, written out below; and the
 * dictionary's two sensitivity profiles against the profile table of the same digest.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks, type ValidatedPack } from '../../../agent/policy/load.js';
import type { PackDataItem, PackDomain, PackItem } from '../../../agent/policy/schema.js';
import { normalizeTerm } from '../../../agent/policy/terms.js';
import type { Domain, Rule } from '../../../agent/policy/types.js';
import { PACKS_DIR } from '../support/policy.js';

const packs: ValidatedPack[] = loadPacks(PACKS_DIR);
const policy = compilePolicy(packs);

const nationalPack = (): ValidatedPack => {
  const p = packs.find((x) => x.list?.id === 'cn-national');
  if (!p) throw new Error('no shipped pack defines list cn-national');
  return p;
};
const nationalDomain = (): PackDomain => {
  const d = nationalPack().domains?.find((x) => x.id === 'national');
  if (!d) throw new Error('cn-national has no domain national');
  return d;
};
const compiled = (): Domain => {
  const d = policy.domains.get('cn-national/national');
  if (!d) throw new Error('cn-national/national did not compile');
  return d;
};

type Band = [counter: string, min: number, max: number | undefined];

interface Row {
  situation: string;
  kind: PackItem['kind'];
  obligation: PackItem['obligation'];
  /** Undefined: every company (the registered important data of issue 4). */
  companies: 'ciio' | 'non-ciio' | undefined;
  /** Thresholds as [counter, min, max) — max undefined: unbounded. Empty: found by indicators. */
  bands: Band[];
  citation: string;
  /** Important-data rows: the indicator that triggers the item (default: the marking, or registered data for every company). */
  indicator?: string;
}

// regs/national-rules.md, "Who needs what" (counts: distinct persons since 1 January). The CIIO
// row ("any PI or important data") is two items, one per kind.
const WHO_NEEDS_WHAT: Row[] = [
  {
    situation: 'a CIIO sends any PI',
    kind: 'personal-information',
    obligation: 'security-assessment',
    companies: 'ciio',
    bands: [
      ['general', 1, undefined],
      ['sensitive', 1, undefined],
    ],
    citation: 'Art. 7(1)',
  },
  { situation: 'a CIIO sends important data', kind: 'important-data', obligation: 'security-assessment', companies: 'ciio', bands: [], citation: 'Art. 7(1)' },
  { situation: 'a non-CIIO sends important data, any amount', kind: 'important-data', obligation: 'security-assessment', companies: 'non-ciio', bands: [], citation: 'Art. 7(2)' },
  // Issue 4: data the company registered as important data (exact match), any company; CIIOs by Art. 7(1).
  { situation: 'any company sends data it registered as important data', kind: 'important-data', obligation: 'security-assessment', companies: undefined, bands: [], citation: 'Art. 7(2)' },
  // Outside Order 16, restated by every zone's measures: core data stays out of every list (Data
  // Security Law Art. 21); export-controlled items follow the Export Control Law (a licence).
  { situation: 'any company sends core data', kind: 'important-data', obligation: 'prohibited', companies: undefined, bands: [], citation: 'Art. 21', indicator: 'core-data-marking' },
  { situation: 'any company sends export-controlled item data', kind: 'important-data', obligation: 'export-control', companies: undefined, bands: [], citation: 'Art. 22', indicator: 'export-controlled-items' },
  {
    situation: '≥ 1,000,000 persons’ PI, sensitive not included',
    kind: 'personal-information',
    obligation: 'security-assessment',
    companies: 'non-ciio',
    bands: [['general', 1_000_000, undefined]],
    citation: 'Art. 7(2)',
  },
  {
    situation: '≥ 10,000 persons’ sensitive PI',
    kind: 'personal-information',
    obligation: 'security-assessment',
    companies: 'non-ciio',
    bands: [['sensitive', 10_000, undefined]],
    citation: 'Art. 7(2)',
  },
  {
    situation: '100,000 – 999,999 persons’ PI, sensitive not included',
    kind: 'personal-information',
    obligation: 'standard-contract-or-certification',
    companies: 'non-ciio',
    bands: [['general', 100_000, 1_000_000]],
    citation: 'Art. 8',
  },
  {
    situation: '1 – 9,999 persons’ sensitive PI (one person triggers it)',
    kind: 'personal-information',
    obligation: 'standard-contract-or-certification',
    companies: 'non-ciio',
    bands: [['sensitive', 1, 10_000]],
    citation: 'Art. 8',
  },
];

const key = (r: Pick<Row, 'kind' | 'obligation' | 'companies' | 'bands' | 'citation'>) => JSON.stringify([r.kind, r.obligation, r.companies, r.bands, r.citation]);
const rowOf = (item: PackItem): Row => ({
  situation: `item ${item.number}`,
  kind: item.kind,
  obligation: item.obligation,
  companies: item.companies as Row['companies'],
  bands: (item.thresholds ?? []).map((t): Band => [t.counter, t.min, t.max]),
  citation: /Art\. \d+(\(\d\))?/.exec(item.citation)?.[0] ?? item.citation,
});

describe('the cn-national list (CAC Order No. 16)', () => {
  it('is a negative list of regime cn-national that counts exempted persons', () => {
    const p = nationalPack();
    expect(p.kind).toBe('list');
    expect(p.regime).toBe('cn-national');
    expect(p.list?.polarity).toBe('negative');
    expect(p.list?.title.zh).toBe('促进和规范数据跨境流动规定');
    expect(p.list?.title.en).toMatch(/Order No\. 16/);
    // Order 16 is silent; counting them is the conservative reading (commented in the pack).
    expect(p.list?.exemptPersonsCount).toBe(true);
  });

  it('has one domain, national, for any scenario, with company-wide general and sensitive counters', () => {
    expect(nationalPack().domains?.map((d) => d.id)).toEqual(['national']);
    const d = nationalDomain();
    expect(d.scenarios).toBe('any');
    expect(d.counters).toEqual([
      { id: 'general', kind: 'general' },
      { id: 'sensitive', kind: 'sensitive' },
    ]);
    expect(compiled().scenarios).toBeUndefined();
    expect(compiled().general.ref).toBe('cn-national/national/general');
    expect(compiled().sensitive.ref).toBe('cn-national/national/sensitive');
  });

  it.each(WHO_NEEDS_WHAT)('$situation → $obligation ($citation)', (row) => {
    const matches = nationalDomain().items.filter((i) => key(rowOf(i)) === key(row));
    expect(matches).toHaveLength(1);
    const [item] = matches as [PackItem];
    if (!row.indicator) expect(item.citation).toContain('Order No. 16');
    expect(item.text.length).toBeGreaterThan(0);
    if (row.kind === 'important-data') {
      // A marking may say "no": reviewed. A registered value matched exactly, core data and export
      // control: blocked.
      expect(item.indicators).toEqual([row.indicator ?? (row.companies ? 'important-data-marking' : 'registered-important-data')]);
      expect(item.onIndicator).toBe(row.companies ? 'review' : 'block');
    }
  });

  it('has no item beyond the table', () => {
    expect(nationalDomain().items.map(rowOf).map(key).sort()).toEqual(WHO_NEEDS_WHAT.map(key).sort());
  });

  it('every item applies to all scenarios', () => {
    for (const item of nationalDomain().items) expect(item.scenarios).toBe('all');
  });

  it('finds important data by the marks of data notified or published as such', () => {
    const fields = compiled().indicatorFields;
    for (const f of ['重要数据', 'importantData', '重要数据标识', 'important_data']) expect(fields.get(normalizeTerm(f))?.id).toBe('important-data-marking');
    expect(compiled().indicatorRules.map((r) => [r.item, r.companies, r.onIndicator, r.obligation])).toEqual([
      [2, 'ciio', 'review', 'security-assessment'],
      [3, 'non-ciio', 'review', 'security-assessment'],
      [8, undefined, 'block', 'security-assessment'],
      [9, undefined, 'block', 'prohibited'],
      [10, undefined, 'block', 'export-control'],
    ]);
  });

  /** Which obligations a company of the given kind owes at n persons on a counter. */
  const owed = (rules: readonly Rule[], n: number, ciio: boolean) =>
    rules.filter((r) => (r.companies === undefined || (r.companies === 'ciio') === ciio) && r.min <= n && (r.max === undefined || n < r.max)).map((r) => r.obligation);

  it.each([
    // Art. 5(4): fewer than 100,000 persons' PI, no sensitive PI, non-CIIO → exempt.
    { counter: 'general', n: 1, ciio: false, want: [] },
    { counter: 'general', n: 99_999, ciio: false, want: [] },
    { counter: 'general', n: 100_000, ciio: false, want: ['standard-contract-or-certification'] },
    { counter: 'general', n: 999_999, ciio: false, want: ['standard-contract-or-certification'] },
    { counter: 'general', n: 1_000_000, ciio: false, want: ['security-assessment'] },
    { counter: 'sensitive', n: 1, ciio: false, want: ['standard-contract-or-certification'] },
    { counter: 'sensitive', n: 9_999, ciio: false, want: ['standard-contract-or-certification'] },
    { counter: 'sensitive', n: 10_000, ciio: false, want: ['security-assessment'] },
    // Art. 7(1): a CIIO from the first person, on either tally.
    { counter: 'general', n: 1, ciio: true, want: ['security-assessment'] },
    { counter: 'general', n: 500_000, ciio: true, want: ['security-assessment'] },
    { counter: 'sensitive', n: 1, ciio: true, want: ['security-assessment'] },
  ])('$counter at $n persons, CIIO $ciio → $want', ({ counter, n, ciio, want }) => {
    const c = counter === 'general' ? compiled().general : compiled().sensitive;
    expect(owed(c.rules, n, ciio)).toEqual(want);
  });
});

// regs/national-rules.md, "Sensitive personal information": gbt45574 (default) and gbt35273 (strict).
// `always`: sensitive under both; `strict`: only under gbt35273; undefined: PI, not sensitive.
const PROFILES: { data: string; fields: string[]; sensitive: 'always' | 'strict' | undefined; category?: string }[] = [
  { data: 'resident ID number alone', fields: ['身份证号', 'idCardNo', 'residentId'], sensitive: 'strict', category: 'identity-documents' },
  { data: 'ID card image with full data', fields: ['身份证照片', 'idCardImage'], sensitive: 'always', category: 'identity-documents' },
  { data: 'passport number', fields: ['护照号', 'passportNo'], sensitive: 'strict', category: 'identity-documents' },
  { data: 'travel-permit number', fields: ['港澳通行证', '回乡证', 'travelPermitNo'], sensitive: 'strict', category: 'identity-documents' },
  { data: 'mobile number', fields: ['手机号', 'mobile'], sensitive: undefined },
  { data: 'name, e-mail, address', fields: ['姓名', 'email', '收货地址'], sensitive: undefined },
  { data: 'bank card and account numbers', fields: ['银行卡号', 'bankCardNo', '账号', 'bankAccountNo'], sensitive: 'always', category: 'financial-accounts' },
  { data: 'securities, insurance, payment accounts', fields: ['证券账户', '保险账户', '支付账户', 'paymentAccount'], sensitive: 'always', category: 'financial-accounts' },
  { data: 'precise location', fields: ['精确位置', '经纬度', 'latitude', 'longitude'], sensitive: 'always', category: 'whereabouts' },
  { data: 'continuous and vehicle tracks', fields: ['行踪轨迹', '车辆轨迹', 'trajectory'], sensitive: 'always', category: 'whereabouts' },
  { data: 'transaction and consumption records', fields: ['交易记录', '消费记录', 'transactionHistory'], sensitive: 'strict', category: 'transactions' },
  { data: 'face, fingerprint, voiceprint, iris, gene', fields: ['人脸', 'faceImage', '指纹', '声纹', '虹膜', '基因'], sensitive: 'always', category: 'biometrics' },
  { data: 'health and medical records', fields: ['病历', '诊断', '健康状况'], sensitive: 'always', category: 'medical-health' },
  { data: 'religion', fields: ['宗教信仰', 'religion'], sensitive: 'always', category: 'religious-belief' },
  { data: 'disability status', fields: ['残疾状况', 'disabilityStatus'], sensitive: 'always', category: 'specific-identity' },
  { data: 'criminal records', fields: ['犯罪记录', 'criminalRecord'], sensitive: 'always' },
  { data: 'credit reports (征信)', fields: ['征信报告', 'creditReport'], sensitive: 'always' },
  { data: 'PI of a child under 14', fields: ['儿童姓名', 'childName'], sensitive: 'always', category: 'minors' },
];

describe('the PI dictionary’s sensitivity profiles', () => {
  const dictionary = (): PackDataItem[] => packs.find((p) => p.id === 'cn-pi-dictionary')?.dataItems ?? [];
  const byField = (f: string): PackDataItem | undefined => dictionary().find((i) => i.fields.some((x) => normalizeTerm(x) === normalizeTerm(f)));

  it.each(PROFILES)('$data: $sensitive', ({ fields, sensitive, category }) => {
    for (const f of fields) {
      const item = byField(f);
      expect(item, f).toBeDefined();
      expect(item?.sensitive, f).toBe(sensitive);
      if (category) expect(item?.category, f).toBe(category);
      // The same answer once compiled into a domain's dictionary.
      expect(compiled().fieldNames.get(normalizeTerm(f))?.sensitive, f).toBe(sensitive);
    }
  });

  it('keeps the item ids that other tests and configs name', () => {
    const ids = dictionary().map((i) => i.id);
    for (const id of ['recipient-name', 'recipient-contact', 'recipient-address', 'person-name', 'mobile-number', 'email-address', 'resident-id-number'])
      expect(ids).toContain(id);
    const rid = dictionary().find((i) => i.id === 'resident-id-number');
    expect(rid).toMatchObject({ sensitive: 'strict', category: 'identity-documents', identifies: 'resident-id', detectors: ['resident-id'] });
  });

  it('gives every sensitive item a category, and only strict items are the ones national-rules.md names', () => {
    for (const item of dictionary()) if (item.sensitive) expect(item.category, item.id).toMatch(/^[a-z0-9-]+$/);
    const strict = dictionary()
      .filter((i) => i.sensitive === 'strict')
      .map((i) => i.id)
      .sort();
    expect(strict).toEqual(['passport-number', 'resident-id-number', 'transaction-records', 'travel-permit-number']);
  });

  // In a domain its own items win over the dictionary for the same name (compile.ts), so a clash
  // would leave the dictionary entry dead there while it means something else everywhere else.
  it('claims no field name of the live-commerce domain’s listed data items', () => {
    const listed = new Set(
      packs
        .filter((p) => p.list?.id === 'guangxi-2025')
        .flatMap((p) => p.domains ?? [])
        .filter((d) => d.id === 'live-commerce')
        .flatMap((d) => d.dataItems.flatMap((i) => i.fields.map(normalizeTerm))),
    );
    expect(listed.has(normalizeTerm('shipperName'))).toBe(true);
    const clashes = dictionary().flatMap((i) => i.fields.filter((f) => listed.has(normalizeTerm(f))).map((f) => `${i.id}: ${f}`));
    expect(clashes).toEqual([]);
  });
});
