/**
 * The zones' management measures as the regime packs encode them (policy/packs/regime-*.yaml),
 * checked against a table written from the measures' text (regs/*-measures.txt): adoption of other
 * zones' lists, filing validity and renewal window, and reporting duties.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks } from '../../../agent/policy/load.js';
import type { PackRegime, Regime } from '../../../agent/policy/schema.js';
import { PACKS_DIR } from '../support/policy.js';

/** regs/ sits beside the repository (../shared/regs); the quote checks run only where it does. */
const REGS_DIR = join(PACKAGE_ROOT, '..', 'shared', 'regs');


const packs = loadPacks(PACKS_DIR);
const policy = compilePolicy(packs);

interface Expected {
  regime: Exclude<Regime, 'cn-national'>;
  file: string;
  lists: string[];
  adoption: PackRegime['adoption'];
  /** The article and the measures' own words, which adoptionCitation must carry. */
  adoptionArticle: string;
  adoptionQuote: string;
  filing: Omit<NonNullable<PackRegime['filing']>, 'citation'> | undefined;
  filingQuotes: string[];
  reporting: Omit<NonNullable<PackRegime['reporting']>, 'citation'> | undefined;
  reportingQuotes: string[];
}

// From the measures' text (regs/*-measures.txt). Keys a measure does not speak to are absent.
const MEASURES: Expected[] = [
  {
    regime: 'guangxi',
    file: 'guangxi-ftz-measures.txt',
    lists: ['guangxi-2025', 'guangxi-important-data'],
    // 第八条: 全国其他自贸试验区正式发布的负面清单，广西自贸试验区可参照执行。
    adoption: 'allowed',
    adoptionArticle: 'Art. 8',
    adoptionQuote: '全国其他自贸试验区正式发布的负面清单，广西自贸试验区可参照执行',
    // No zone filing in the Guangxi measures.
    filing: undefined,
    filingQuotes: [],
    // 第十三条: …针对数据出境活动中发生的安全事件，及时停止数据出境活动。 No report duty, no half-yearly report.
    reporting: { stopTransfersOnIncident: true },
    reportingQuotes: ['及时停止数据出境活动'],
  },
  {
    regime: 'fujian',
    file: 'fujian-ftz-measures.txt',
    lists: ['fujian-important-data'],
    // 第二十二条: 其他自由贸易试验区和自由贸易港正式发布的数据出境负面清单，福建自贸试验区可参照执行。
    adoption: 'allowed',
    adoptionArticle: 'Art. 22',
    adoptionQuote: '其他自由贸易试验区和自由贸易港正式发布的数据出境负面清单，福建自贸试验区可参照执行',
    // 第十三条: 有效期为3年…可在有效期届满前60个工作日内…提出延长有效期申请…重大变更…重新申请备案。
    filing: { validityYears: 3, renewalWindowWorkingDays: 60, materialChangeRefiling: true },
    filingQuotes: ['有效期为3年', '有效期届满前60个工作日内', '重新申请备案'],
    // 第十五条: …第一时间向片区实施机构报告; 第十七条: 片区实施机构每半年向省级管理部门报送…
    reporting: { incidentReportPromptly: true, halfYearlyReport: true },
    reportingQuotes: ['第一时间向片区实施机构报告', '片区实施机构每半年向省级管理部门报送'],
  },
  {
    regime: 'jiangsu',
    file: 'jiangsu-ftz-measures.txt',
    lists: ['jiangsu-important-data'],
    // 第二十四条: 其他自贸试验区正式发布的数据出境负面清单，江苏自贸试验区可参照执行。
    adoption: 'allowed',
    adoptionArticle: 'Art. 24',
    adoptionQuote: '其他自贸试验区正式发布的数据出境负面清单，江苏自贸试验区可参照执行',
    // No filing validity in the Jiangsu measures (Art. 12 para. 1 is a report of transfers).
    filing: undefined,
    filingQuotes: [],
    // 第十二条: …及时向所属片区管委会报告。涉及危害国家安全、公共利益的，…在 24 小时内…报告; 第十六条: 每半年…报告
    reporting: { incidentReportHours: 24, incidentReportPromptly: true, halfYearlyReport: true },
    reportingQuotes: ['及时向所属片区管委会报告', '24 小时内', '每半年向省级管理部门报告'],
  },
  {
    regime: 'beijing',
    file: 'beijing-two-zones-measures.txt',
    lists: ['beijing-important-data'],
    // 第10条: …确需参照适用的特定领域，…需求分析和风险评估，…审核通过后，报市委网络安全和信息化委员会批准…
    adoption: 'with-approval',
    adoptionArticle: 'Art. 10',
    adoptionQuote: '报市委网络安全和信息化委员会批准',
    // 第11条: 备案结果有效期为三年。数据出境情况发生变化时，及时向区级管理部门更新备案。 No renewal window.
    filing: { validityYears: 3, materialChangeRefiling: true },
    filingQuotes: ['备案结果有效期为三年', '更新备案'],
    // No company incident-report or half-yearly duty in the Beijing measures.
    reporting: undefined,
    reportingQuotes: [],
  },
];

const rulesOf = (regime: Regime): PackRegime => {
  const r = policy.regimes.get(regime);
  if (!r) throw new Error(`no regime pack describes ${regime}`);
  return r;
};
const withoutCitation = <T extends { citation: string }>(x: T | undefined) => {
  if (!x) return undefined;
  const { citation: _citation, ...rest } = x;
  return rest;
};

describe('the regime packs', () => {
  it('load with the shipped packs, one pack per zone', () => {
    const regimePacks = packs.filter((p) => p.kind === 'regime');
    expect(regimePacks.map((p) => p.regime).sort()).toEqual(['beijing', 'fujian', 'guangxi', 'jiangsu']);
    for (const p of regimePacks) expect(p.id).toBe(`regime-${p.regime}`);
  });

  describe.each(MEASURES)('$regime', (m) => {
    it(`names the lists the zone publishes: ${m.lists.join(', ')}`, () => {
      expect(rulesOf(m.regime).lists).toEqual(m.lists);
      for (const list of m.lists) expect([...policy.domains.values()].some((d) => d.list === list && d.regime === m.regime)).toBe(true);
    });

    it('cites its measures', () => {
      const r = rulesOf(m.regime);
      expect(r.measures.file).toBe(`regs/${m.file}`);
      expect(r.measures.document).toMatch(/数据出境负面清单管理办法（试行）$/);
    });

    it(`adoption of other zones' lists: ${m.adoption}`, () => {
      const r = rulesOf(m.regime);
      expect(r.adoption).toBe(m.adoption);
      expect(r.adoptionCitation).toContain(m.adoptionArticle);
      expect(r.adoptionCitation).toContain(m.adoptionQuote);
    });

    it(`filing: ${JSON.stringify(m.filing ?? 'none')}`, () => {
      const r = rulesOf(m.regime);
      expect(withoutCitation(r.filing)).toEqual(m.filing);
      for (const q of m.filingQuotes) expect(r.filing?.citation).toContain(q);
    });

    it(`reporting: ${JSON.stringify(m.reporting ?? 'none')}`, () => {
      const r = rulesOf(m.regime);
      expect(withoutCitation(r.reporting)).toEqual(m.reporting);
      for (const q of m.reportingQuotes) expect(r.reporting?.citation).toContain(q);
    });

    // The quotes are the measures' own words, not paraphrase (normalized for spaces and line breaks).
    it.skipIf(!existsSync(join(REGS_DIR, m.file)))('quotes the measures verbatim', () => {
      const flat = (s: string) => s.replace(/\s+/g, '');
      const text = flat(readFileSync(join(REGS_DIR, m.file), 'utf8'));
      for (const q of [m.adoptionQuote, ...m.filingQuotes, ...m.reportingQuotes]) expect(text, q).toContain(flat(q));
    });
  });

  it('lets a zone without a renewal window or reporting section leave them out, not set them false', () => {
    expect(rulesOf('beijing').filing?.renewalWindowWorkingDays).toBeUndefined();
    expect(rulesOf('beijing').reporting).toBeUndefined();
    expect(rulesOf('guangxi').filing).toBeUndefined();
    expect(rulesOf('guangxi').reporting?.incidentReportPromptly).toBeUndefined();
  });
});
