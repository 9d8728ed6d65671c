/**
 * The four zones' important-data identification reference rules (数据分类分级参考规则, the annex of
 * each zone's data-export measures, ../shared/regs/*-measures.txt): every first- and second-level
 * category of the published table, the unified rules' floors, and where the zones' texts differ.
 * The tables below are copied from the regulation text, never read back from the packs.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks, type ValidatedPack } from '../../../agent/policy/load.js';
import type { PackDomain, PackItem } from '../../../agent/policy/schema.js';
import { normalizeTerm } from '../../../agent/policy/terms.js';
import { PACKS_DIR } from '../support/policy.js';

type Zone = 'guangxi' | 'fujian' | 'jiangsu' | 'beijing';
/** [number, 一级类别, [number, 二级类别][]], as the table prints them. */
type Category = [number, string, [number, string][]];

const NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三'];

// Guangxi and Fujian print the same table.
const GUANGXI: Category[] = [
  [1, '战略物资和大宗商品类', [[1, '石油、石化和天然气'], [2, '农产品']]],
  [2, '自然资源和环境类', [[3, '地理信息'], [4, '气象'], [5, '海洋'], [6, '环保'], [7, '水利']]],
  [
    3,
    '工业类',
    [[8, '钢铁、有色金属'], [9, '稀土'], [10, '其他矿产'], [11, '化学工业'], [12, '电力'], [13, '电子信息'], [14, '民用核设施'], [15, '工业装备'], [16, '智能网联汽车'], [17, '其他']],
  ],
  [4, '国防科技工业类', [[18, '国防科技工业类']]],
  [5, '电信类', [[19, '电信']]],
  [6, '广播电视和网络视听类', [[20, '广播电视'], [21, '网络视听']]],
  [7, '金融类', [[22, '银行'], [23, '保险'], [24, '证券期货'], [25, '融资租赁']]],
  [8, '交通运输类', [[26, '交通']]],
  [9, '卫生健康和食品药品类', [[27, '遗传资源'], [28, '健康医疗'], [29, '食品'], [30, '药品'], [31, '生物安全'], [32, '疾控数据']]],
  [10, '公共安全类', [[33, '物理安全'], [34, '网络安全']]],
  [11, '互联网服务和电子商务类', [[35, '互联网平台服务'], [36, '人工智能服务']]],
  [12, '科学技术类', [[37, '知识产权和重大发现'], [38, '禁止出口限制出口技术']]],
  [
    13,
    '其他数据类',
    [
      [39, '属于出口管制法管制的相关数据'],
      [40, '其他可能影响国家政治、国土、军事、经济、文化、社会、科技、网络、生态、资源、核、海外利益、太空、极地、深海、生物等安全的数据'],
    ],
  ],
];

const replace = (table: Category[], n: number, category: Category): Category[] => table.map((c) => (c[0] === n ? category : c));

const TABLES: Record<Zone, Category[]> = {
  guangxi: GUANGXI,
  fujian: GUANGXI,
  // Jiangsu: （六）广播电视台和网络视听类 / 20.广播电视台; （十三）holds 39 only.
  jiangsu: replace(
    replace(GUANGXI, 6, [6, '广播电视台和网络视听类', [[20, '广播电视台'], [21, '网络视听']]]),
    13,
    [13, '其他数据类', [[39, '属于出口管制法管制的相关数据']]],
  ),
  // Beijing: 40 adds 低空 among the security fields.
  beijing: replace(GUANGXI, 13, [
    13,
    '其他数据类',
    [
      [39, '属于出口管制法管制的相关数据'],
      [40, '其他可能影响国家政治、国土、军事、经济、文化、社会、科技、网络、生态、资源、核、海外利益、太空、极地、深海、低空、生物等安全的数据'],
    ],
  ]),
};

const FILES: Record<Zone, string> = {
  guangxi: 'regs/guangxi-ftz-measures.txt',
  fujian: 'regs/fujian-ftz-measures.txt',
  jiangsu: 'regs/jiangsu-ftz-measures.txt',
  beijing: 'regs/beijing-two-zones-measures.txt',
};
const ZONES = Object.keys(TABLES) as Zone[];

const packs: ValidatedPack[] = loadPacks(PACKS_DIR);
const policy = compilePolicy(packs);

function packOf(zone: Zone): ValidatedPack {
  const p = packs.find((x) => x.id === `${zone}-important-data`);
  if (!p) throw new Error(`${zone}-important-data pack missing`);
  return p;
}
const domainsOf = (zone: Zone): PackDomain[] => packOf(zone).domains ?? [];
const categoriesOf = (zone: Zone) => domainsOf(zone).filter((d) => d.id !== 'unified-rules');
function unified(zone: Zone): PackDomain {
  const d = domainsOf(zone).find((x) => x.id === 'unified-rules');
  if (!d) throw new Error(`${zone} has no unified-rules domain`);
  return d;
}
function item(domain: PackDomain, n: number): PackItem {
  const found = domain.items.find((i) => i.number === n);
  if (!found) throw new Error(`${domain.id} has no item ${n}`);
  return found;
}
/** Second-level category n of a zone's table, wherever it sits. */
function row(zone: Zone, n: number): PackItem {
  const domain = categoriesOf(zone).find((d) => d.items.some((i) => i.number === n));
  if (!domain) throw new Error(`${zone} has no category item ${n}`);
  return item(domain, n);
}
/** "…, category (二) 3 地理信息" → [二, 3, 地理信息]. */
function cited(i: PackItem): [string, number, string] {
  const m = /, category \(([一二三四五六七八九十]+)\) (\d+) (.+)$/.exec(i.citation);
  if (!m) throw new Error(`citation ${i.citation} names no category`);
  return [m[1] as string, Number(m[2]), m[3] as string];
}
const indicatorIds = (zone: Zone) => new Set(domainsOf(zone).flatMap((d) => (d.indicators ?? []).map((i) => `${d.id}/${i.id}`)));

describe.each(ZONES)('%s important-data reference rules', (zone) => {
  const table = TABLES[zone];

  it('is one negative list that applies to every transfer in the zone', () => {
    const p = packOf(zone);
    expect(p.kind).toBe('list');
    expect(p.regime).toBe(zone);
    expect(p.list?.id).toBe(`${zone}-important-data`);
    expect(p.list?.polarity).toBe('negative');
    expect(p.list?.exemptPersonsCount).toBe(false);
    expect(p.list?.appliesTo).toBe('every-transfer');
    expect(p.list?.source.file).toBe(FILES[zone]);
    expect(p.list?.title.zh).toMatch(/数据分类分级参考规则$/);
  });

  it('has the first-level categories of the table, numbered and named as published', () => {
    expect(categoriesOf(zone).map((d) => [d.number, d.name.zh])).toEqual(table.map(([n, zh]) => [n, zh]));
    for (const d of categoriesOf(zone)) expect(d.citation).toContain(`category (${NUMERALS[d.number - 1]}) ${d.name.zh}`);
  });

  it('has the second-level categories, each under its first-level category, numbered and named as published', () => {
    const want = table.flatMap(([n, , rows]) => rows.map(([m, zh]) => [NUMERALS[n - 1], m, zh]));
    const got = categoriesOf(zone).flatMap((d) => d.items.map((i) => [...cited(i)]));
    expect(got).toEqual(want);
    for (const d of categoriesOf(zone)) for (const i of d.items) expect(cited(i)[0]).toBe(NUMERALS[d.number - 1]);
  });

  it('holds the unified rules: the persons-held floors of rules 2 and 3, indicators for rules 4 and 5', () => {
    const u = unified(zone);
    // Rule 1 (non-secret data only) triggers nothing: it is a comment in the pack.
    expect(u.items.map((i) => i.number)).toEqual([2, 3, 4, 5]);
    // 1000万人以上个人信息（不含敏感个人信息）；100万人以上敏感个人信息；10万人以上且包含个人银行账户…个人诊疗数据等的…
    expect(item(u, 2).floors).toEqual([
      { held: 'personal-information', min: 10_000_000 },
      { held: 'sensitive', min: 1_000_000 },
      { held: 'accounts-or-medical', min: 100_000 },
    ]);
    expect(item(u, 2).text.replace(/\s/g, '')).toContain('1000万人以上个人信息（不含敏感个人信息）；100万人以上敏感个人信息；10万人以上且包含个人银行账户、个人保险账户、个人注册账户、个人诊疗数据等');
    // 被国家认定为关键信息基础设施的运营者掌握的10万人以上个人信息。
    expect(item(u, 3).floors).toEqual([{ held: 'personal-information', min: 100_000, ciioOnly: true }]);
    expect(item(u, 3).text.replace(/\s/g, '')).toBe('被国家认定为关键信息基础设施的运营者掌握的10万人以上个人信息。');
    expect(item(u, 4).text).toContain('与行业竞争力、行业生产安全相关的高价值敏感数据；涉及国家安全的企业供应链相关数据。');
    expect(item(u, 5).text).toContain('关系国计民生领域的自动控制系统参数以及控制、运行维护、测试数据。');
    for (const n of [4, 5]) {
      expect(item(u, n).indicators?.length).toBeGreaterThan(0);
      expect(item(u, n).onIndicator).toBe('review');
    }
  });

  it('gives every category item its description, its example text and indicators that flag for review', () => {
    for (const d of categoriesOf(zone))
      for (const i of d.items) {
        expect(i.characteristics?.zh.length, `${d.id} item ${i.number}`).toBeGreaterThan(0);
        expect(i.characteristics?.en.length, `${d.id} item ${i.number}`).toBeGreaterThan(0);
        expect(i.text.length).toBeGreaterThan(0);
        expect(i.indicators?.length, `${d.id} item ${i.number}`).toBeGreaterThan(0);
        expect(i.onIndicator).toBe('review');
      }
  });

  it('makes every item important data needing a security assessment in every scenario, found by indicators or floors', () => {
    for (const d of domainsOf(zone))
      for (const i of d.items) {
        expect([i.kind, i.obligation, i.scenarios]).toEqual(['important-data', 'security-assessment', 'all']);
        expect(Boolean(i.indicators?.length) || Boolean(i.floors?.length), `${d.id} item ${i.number}`).toBe(true);
        expect(i.thresholds).toBeUndefined();
      }
  });

  it('names no scenarios or data items, keeps the unused counters, and uses every indicator it declares', () => {
    for (const d of domainsOf(zone)) {
      expect(d.scenarios).toBe('any');
      expect(d.dataItems).toEqual([]);
      expect(d.counters).toEqual([
        { id: 'general', kind: 'general' },
        { id: 'sensitive', kind: 'sensitive' },
      ]);
      const declared = (d.indicators ?? []).map((i) => i.id);
      expect(new Set(d.items.flatMap((i) => i.indicators ?? []))).toEqual(new Set(declared));
    }
  });

  // compile.ts keeps one indicator per keyword: a keyword in two indicators would silently lose one.
  it('gives each keyword and field name to one indicator of a domain, keywords of two characters or more', () => {
    for (const d of domainsOf(zone)) {
      const keywords = (d.indicators ?? []).flatMap((i) => (i.keywords ?? []).map((k) => k.normalize('NFKC').toLowerCase()));
      const fields = (d.indicators ?? []).flatMap((i) => i.fields.map(normalizeTerm));
      expect(new Set(keywords).size, d.id).toBe(keywords.length);
      expect(new Set(fields).size, d.id).toBe(fields.length);
      for (const k of keywords) expect(k.length).toBeGreaterThanOrEqual(2);
    }
  });

  it("compiles into the zone's every-transfer domains", () => {
    const refs = (policy.everyTransfer.get(zone) ?? []).map((d) => d.ref).filter((r) => r.startsWith(`${zone}-important-data/`));
    expect(refs.sort()).toEqual(domainsOf(zone).map((d) => `${zone}-important-data/${d.id}`).sort());
    for (const d of policy.everyTransfer.get(zone) ?? []) if (d.list === `${zone}-important-data`) expect(d.indicatorRules.every((r) => r.onIndicator === 'review')).toBe(true);
  });
});

describe('category counts', () => {
  it.each([
    { zone: 'guangxi', first: 13, second: 40 },
    { zone: 'fujian', first: 13, second: 40 },
    { zone: 'jiangsu', first: 13, second: 39 },
    { zone: 'beijing', first: 13, second: 40 },
  ] as const)('$zone: $first first-level and $second second-level categories', ({ zone, first, second }) => {
    expect(categoriesOf(zone)).toHaveLength(first);
    expect(categoriesOf(zone).flatMap((d) => d.items)).toHaveLength(second);
  });
});

describe('example cells that span several rows', () => {
  it.each([
    { zone: 'guangxi', from: 1, covers: [2] },
    { zone: 'guangxi', from: 3, covers: [4, 5, 6, 7] },
    { zone: 'guangxi', from: 8, covers: [9, 10] },
    { zone: 'guangxi', from: 11, covers: [12, 13, 14] },
    { zone: 'guangxi', from: 15, covers: [16, 17] },
    { zone: 'guangxi', from: 22, covers: [23, 24, 25] },
    { zone: 'guangxi', from: 27, covers: [28, 29, 30, 31, 32] },
    { zone: 'guangxi', from: 39, covers: [40] },
    // Jiangsu prints no example beside 11: items 9-14 all sit under item 8's cell.
    { zone: 'jiangsu', from: 8, covers: [9, 10, 11, 12, 13, 14] },
  ] as const)('$zone: item $from\'s example is repeated on items $covers', ({ zone, from, covers }) => {
    for (const n of covers) expect(row(zone, n).text).toBe(row(zone, from).text);
  });

  it('keeps a 参照《…指南》识别 row\'s own words as its characteristics', () => {
    expect(row('guangxi', 9).characteristics?.zh).toBe('参照《工业领域重要数据识别指南》（YD/T4981-2024）识别。');
    expect(row('guangxi', 19).characteristics?.zh).toBe('参照《电信领域重要数据识别指南》（YD/T3867-2024）识别。');
    expect(row('guangxi', 3).characteristics?.zh.startsWith('包括基础地理信息数据，可细分为定位基础数据')).toBe(true);
  });
});

describe('where the zones differ', () => {
  const BEIJING_ONLY = ['industry/vehicle-spatiotemporal', 'finance/payment-clearing', 'transport/transport-supply-chain', 'other-data/low-altitude'];

  it('Beijing: vehicle and roadside spatio-temporal data under items 15-17', () => {
    for (const n of [15, 16, 17]) {
      expect(row('beijing', n).text).toContain('车辆及路侧设备联网运行过程中，收集和产生达到一定精度、一定规模、覆盖特定区域的时空数据。');
      expect(row('beijing', n).indicators).toContain('vehicle-spatiotemporal');
      expect(row('guangxi', n).text).not.toContain('时空数据');
    }
  });

  it('Beijing: item 16 is also identified by the automotive data export guideline', () => {
    expect(row('beijing', 16).characteristics?.zh).toBe('参照《工业领域重要数据识别指南》（YD/T4981-2024）、《汽车数据出境安全指引（2026版）》识别。');
    expect(row('guangxi', 16).characteristics?.zh).not.toContain('汽车数据出境安全指引');
  });

  it('Beijing: payment clearing joins the finance example (items 22-25)', () => {
    for (const n of [22, 23, 24, 25]) {
      expect(row('beijing', n).text).toContain('银行、保险、证券期货、融资租赁、支付清算领域的机构安保信息');
      expect(row('beijing', n).indicators).toContain('payment-clearing');
      expect(row('fujian', n).text).not.toContain('支付清算');
    }
  });

  it('Beijing: transport data affecting supply-chain security (item 26)', () => {
    expect(row('beijing', 26).text).toContain('影响生产安全、供应链安全的数据');
    expect(row('jiangsu', 26).text).toContain('影响生产安全的控制类数据');
    expect(row('beijing', 26).indicators).toContain('transport-supply-chain');
  });

  it('Beijing: low-altitude security in items 39-40, and no Export Control Law sentence', () => {
    for (const n of [39, 40]) {
      expect(row('beijing', n).text).toContain('深海、低空、生物等安全');
      expect(row('beijing', n).text).not.toContain('出口管制法');
      expect(row('beijing', n).indicators).toContain('low-altitude');
      expect(row('guangxi', n).text).toContain('与国家安全和利益、履行防扩散等国际义务相关属于出口管制法管制的数据。');
    }
  });

  it("Beijing's four indicators are its own; otherwise all four zones find the same data", () => {
    const beijing = indicatorIds('beijing');
    for (const id of BEIJING_ONLY) expect(beijing.has(id)).toBe(true);
    for (const zone of ['guangxi', 'fujian', 'jiangsu'] as const) {
      for (const id of BEIJING_ONLY) expect(indicatorIds(zone).has(id)).toBe(false);
      expect(new Set([...beijing].filter((id) => !BEIJING_ONLY.includes(id)))).toEqual(indicatorIds(zone));
    }
    const strip = (d: PackDomain) => d.indicators;
    expect(domainsOf('fujian').map(strip)).toEqual(domainsOf('guangxi').map(strip));
    expect(domainsOf('jiangsu').map(strip)).toEqual(domainsOf('guangxi').map(strip));
  });

  it('Fujian: item 3 adds 深度、现势性 and thematic geographic data; rule 4 drops 过程 twice', () => {
    expect(row('fujian', 3).text).toContain('覆盖度、精度、深度、现势性和尺度等，或表现敏感区域和目标的基础地理信息数据、遥感影像数据和专题地理信息数据。');
    expect(row('guangxi', 3).text).toContain('覆盖度、精度和尺度等，或表现敏感区域和目标的基础地理信息数据和遥感影像数据。');
    expect(item(unified('fujian'), 4).text).toContain('在研发设计、生产制造、经营管理过程中');
    expect(item(unified('guangxi'), 4).text).toContain('在研发设计过程、生产制造过程、经营管理过程中');
  });

  it('Jiangsu: no item 40, and item 3 keeps its whole example (the copy splits it across rows 3 and 4)', () => {
    expect(categoriesOf('jiangsu').some((d) => d.items.some((i) => i.number === 40))).toBe(false);
    expect(row('jiangsu', 3).text).toContain('水文观测数据等，满足一定精度要求的遥感影像、数字孪生水利地理空间数据等，重点水利工程物理安全保护情况等。');
    expect(row('jiangsu', 4).text).toBe(row('jiangsu', 3).text);
  });

  it('every zone names itself in its own rules, never another zone', () => {
    const names: Record<Zone, string> = { guangxi: '广西', fujian: '福建', jiangsu: '江苏', beijing: '北京' };
    for (const zone of ZONES) {
      const texts = domainsOf(zone).flatMap((d) => d.items.flatMap((i) => [i.text, i.characteristics?.zh ?? '']));
      for (const other of ZONES) if (other !== zone) expect(texts.some((t) => t.includes(names[other])), `${zone} mentions ${other}`).toBe(false);
      expect(item(unified(zone), 5).text).toContain(names[zone]);
    }
  });
});
