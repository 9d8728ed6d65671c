/**
 * The shipped `guangxi-2025` pack says what the published list says: 中国（广西）自由贸易试验区数据出境
 * 管理清单（负面清单）（2025版）, all four domains and 28 items. The expected table below is written
 * from the regulation's text (regs/guangxi-ftz-negative-list-2025.txt), not read back from the pack;
 * the pack is taken as the loader validates it (loadPacks on the shipped policy folder).
 */
import { describe, expect, it } from 'vitest';
import { loadPacks } from '../../../agent/policy/load.js';
import type { PackDomain, PackItem } from '../../../agent/policy/schema.js';
import { PACKS_DIR, shippedPolicy } from '../support/policy.js';

const SA = 'security-assessment';
const SC = 'standard-contract-or-certification';
const K10 = 10_000;
const K100 = 100_000;
const K500 = 500_000;
const M1 = 1_000_000;
const M2 = 2_000_000;

type CounterKind = 'limited' | 'general' | 'sensitive';
/** A threshold as the list reads it: counter kind, min (inclusive), max (exclusive; undefined: none). */
type Band = readonly [CounterKind, number, number | undefined];

interface Row {
  domain: string;
  n: number;
  kind: 'important-data' | 'personal-information';
  obligation: typeof SA | typeof SC;
  /** 'all', the scenarios' Chinese names, or 除第N项涉及场景之外. */
  scenarios: 'all' | readonly string[] | { except: number[] };
  /** The opening words of the row's 数据子类 sentence. */
  starts: string;
  bands?: readonly Band[];
  /** 仅限于以下数据项, by the list's Chinese names. */
  dataItems?: readonly string[];
  /** The row has a 但不包括 clause. */
  exclusion?: boolean;
}

// 行业领域二, items 9 and 11: 仅限于金融信贷、商业合作尽职调查、投融资与并购尽职调查场景。仅限于以下数据项：…
const D2_SCENARIOS = ['金融信贷', '商业合作尽职调查', '投融资与并购尽职调查'];
const D2_ITEMS = [
  '姓名', '性别', '年龄', '生日', '国籍', '民族', '籍贯', '住处', '地区', '个人电话号码', '电子邮件地址',
  '认缴出资额', '持股数', '增减股', '持股性质', '最终受益股份', '股权冻结数额', '质押股权总数', '质押股权市值',
  '学历', '工作经历', '职务', '职务任职时间', '商业关联关系', '股权冻结', '股权出质', '股权质押', '行政处罚',
  '税收违法', '违规处理', '询价评估', '股东信息', '企业主要人员信息',
];
// 行业领域三, items 4 and 6.
const D3_SCENARIOS = ['直播带货', '跨境配送', '主播管理', '主播培训'];
const D3_ITEMS = ['发货人姓名', '发货地址', '发货时间', '发货人联系方式', '货品名称', '货品数量', '订单号', '主播姓名', '主播性别', '主播年龄', '主播联系方式', '带货品类', '主播形象照片'];
// 行业领域四, items 3 and 5: 仅限于海外音视频内容制作与拍摄、发行播映、版权交易、合同签订、媒体宣传场景。
const D4_SCENARIOS = ['制作与拍摄', '发行播映', '版权交易', '合同签订', '媒体宣传'];
const D4_ITEMS = ['姓名', '性别', '联系方式', '年龄', '简历', '作品集'];

const ID = { kind: 'important-data', obligation: SA, scenarios: 'all' } as const;

const ROWS: readonly Row[] = [
  // 行业领域一：地理信息与气象数据服务 — 包括但不限于…共享、交换、服务场景; each row 但不包括 other territory.
  { domain: 'geo-meteo', n: 1, ...ID, exclusion: true, starts: '达到国家规定的覆盖度、精度和尺度等' },
  { domain: 'geo-meteo', n: 2, ...ID, exclusion: true, starts: '达到一定精度和规模，被泄露或篡改、损毁' },
  { domain: 'geo-meteo', n: 3, ...ID, exclusion: true, starts: '达到国家规定的规模或者精度，或可被利用造成环境安全事件' },
  // 行业领域二：企业信用信息服务 — items 1-5 包括但不限于…场景, items 6-8 包括所有场景.
  { domain: 'enterprise-credit', n: 1, ...ID, starts: '企业信用信息中反映全局性、行业性或重点领域经济运行' },
  { domain: 'enterprise-credit', n: 2, ...ID, starts: '反映关系产业竞争力的数据' },
  { domain: 'enterprise-credit', n: 3, ...ID, starts: '反映生物技术研究、开发和应用情况' },
  { domain: 'enterprise-credit', n: 4, ...ID, starts: '企业信用信息中反映国家或地区群体健康生理状况' },
  { domain: 'enterprise-credit', n: 5, ...ID, starts: '关系海外能源资源安全、海上战略通道安全' },
  { domain: 'enterprise-credit', n: 6, ...ID, starts: '企业信用信息中可能造成公共安全事故或影响公民生命安全' },
  { domain: 'enterprise-credit', n: 7, ...ID, starts: '可被其他国家或组织利用发起对我国的军事打击' },
  { domain: 'enterprise-credit', n: 8, ...ID, starts: '法律、行政法规、部门规章等规定的其他可能危害' },
  {
    domain: 'enterprise-credit', n: 9, kind: 'personal-information', obligation: SA, scenarios: D2_SCENARIOS, dataItems: D2_ITEMS,
    bands: [['limited', M2, undefined]], starts: '自当年1月1日起累计向境外提供200万人以上的企业高管、股东、实际控制人、核心团队、受益所有人的个人信息',
  },
  {
    domain: 'enterprise-credit', n: 10, kind: 'personal-information', obligation: SA, scenarios: { except: [9] },
    bands: [['general', M1, undefined], ['sensitive', K10, undefined]], starts: '自当年1月1日起累计向境外提供100万人以上的个人信息或1万人以上的敏感个人信息',
  },
  {
    domain: 'enterprise-credit', n: 11, kind: 'personal-information', obligation: SC, scenarios: D2_SCENARIOS, dataItems: D2_ITEMS,
    bands: [['limited', K500, M2]], starts: '自当年1月1日起累计向境外提供50万人以上且不满200万人的企业高管',
  },
  {
    domain: 'enterprise-credit', n: 12, kind: 'personal-information', obligation: SC, scenarios: { except: [11] },
    bands: [['general', K100, M1], ['sensitive', 1, K10]], starts: '自当年1月1日起累计向境外提供10万人以上且不满100万人的个人信息或者不满1万人的敏感个人信息',
  },
  // 行业领域三：直播跨境电商.
  { domain: 'live-commerce', n: 1, ...ID, starts: '反映我国语言文字、历史、风俗习惯、民族价值观念等特质的数据' },
  { domain: 'live-commerce', n: 2, ...ID, starts: '反映全局性或重点领域经济运行、金融活动状况，关系产业竞争力' },
  { domain: 'live-commerce', n: 3, ...ID, starts: '法律、行政法规、部门规章等规定的其他可能危害' },
  {
    domain: 'live-commerce', n: 4, kind: 'personal-information', obligation: SA, scenarios: D3_SCENARIOS, dataItems: D3_ITEMS,
    bands: [['limited', M2, undefined]], starts: '自当年1月1日起累计向境外提供200万人以上的个人信息（不含敏感个人信息）',
  },
  {
    domain: 'live-commerce', n: 5, kind: 'personal-information', obligation: SA, scenarios: { except: [4] },
    bands: [['general', M1, undefined], ['sensitive', K10, undefined]], starts: '自当年1月1日起累计向境外提供100万人以上的个人信息（不含敏感个人信息），或1万人以上的敏感个人信息',
  },
  {
    domain: 'live-commerce', n: 6, kind: 'personal-information', obligation: SC, scenarios: D3_SCENARIOS, dataItems: D3_ITEMS,
    bands: [['limited', K100, M2]], starts: '自当年1月1日起累计向境外提供10万人以上但不足200万人的个人信息',
  },
  {
    domain: 'live-commerce', n: 7, kind: 'personal-information', obligation: SC, scenarios: { except: [6] },
    bands: [['general', K100, M1], ['sensitive', 1, K10]], starts: '自当年1月1日起累计向境外提供10万人以上、不满100万人的个人信息（不含敏感个人信息）或者不满1万人敏感个人信息',
  },
  // 行业领域四：海外音视频制作与传播.
  { domain: 'overseas-av', n: 1, ...ID, starts: '可引发群体性活动或影响群体情感与认知，汇聚后可被用于大数据分析' },
  { domain: 'overseas-av', n: 2, ...ID, starts: '反映我国语言文字、历史、风俗习惯、民族价值观念等特质的数据' },
  {
    domain: 'overseas-av', n: 3, kind: 'personal-information', obligation: SA, scenarios: D4_SCENARIOS, dataItems: D4_ITEMS,
    bands: [['limited', M2, undefined]], starts: '自当年1月1日起累计向境外提供200万人以上的制片人、导演、监制、演员',
  },
  {
    domain: 'overseas-av', n: 4, kind: 'personal-information', obligation: SA, scenarios: { except: [3] },
    bands: [['general', M1, undefined], ['sensitive', K10, undefined]], starts: '自当年1月1日起累计向境外提供100万人以上的个人信息（不含敏感个人信息）或者1万人以上的敏感个人信息',
  },
  {
    domain: 'overseas-av', n: 5, kind: 'personal-information', obligation: SC, scenarios: D4_SCENARIOS, dataItems: D4_ITEMS,
    bands: [['limited', K100, M2]], starts: '自当年1月1日起累计向境外提供10万人以上且不满200万人的制片人、导演、监制、演员',
  },
  {
    domain: 'overseas-av', n: 6, kind: 'personal-information', obligation: SC, scenarios: { except: [5] },
    bands: [['general', K100, M1], ['sensitive', 1, K10]], starts: '自当年1月1日起累计向境外提供10万人以上、不满100万人的个人信息（不含敏感个人信息）或者不满1万人敏感个人信息',
  },
];

/** The four domains: id, 行业领域 number, name, item count, and the scenarios the text names ('any': none). */
const DOMAINS = [
  { id: 'geo-meteo', number: 1, zh: '地理信息与气象数据服务', items: 3, scenarios: 'any' },
  // 注 names none; the items name these four, and items 10 and 12 say 其他场景.
  { id: 'enterprise-credit', number: 2, zh: '企业信用信息服务', items: 12, scenarios: ['金融信贷', '商业合作尽职调查', '投融资与并购尽职调查', 'ESG评级与绿色金融', '其他场景'] },
  // 注2.
  { id: 'live-commerce', number: 3, zh: '直播跨境电商', items: 7, scenarios: ['直播带货', '直播间运营', '跨境配送', '主播管理', '主播培训', '文案策划'] },
  // 注2.
  { id: 'overseas-av', number: 4, zh: '海外音视频制作与传播', items: 6, scenarios: ['内容策划', '数据分析', '制作与拍摄', '发行播映', '版权交易', '合同签订', '媒体宣传'] },
] as const;

const packs = loadPacks(PACKS_DIR);
const pack = packs.find((p) => p.id === 'guangxi-2025');

function domain(id: string): PackDomain {
  const d = pack?.domains?.find((x) => x.id === id);
  if (!d) throw new Error(`domain ${id} missing from guangxi-2025`);
  return d;
}

function item(d: string, n: number): PackItem {
  const found = domain(d).items.find((i) => i.number === n);
  if (!found) throw new Error(`${d} item ${n} missing`);
  return found;
}

const scenarioZh = (d: PackDomain, id: string): string | undefined => (d.scenarios === 'any' ? undefined : d.scenarios.find((s) => s.id === id)?.zh);
const dataItemZh = (d: PackDomain, id: string): string | undefined => d.dataItems.find((i) => i.id === id)?.name.zh;
const counterOf = (d: PackDomain, id: string) => d.counters.find((c) => c.id === id);
const sorted = (xs: readonly (string | undefined)[]) => [...xs].sort();
const CJK = /[\u4e00-\u9fff]/;
const LATIN = /^[A-Za-z][A-Za-z0-9._-]*$/;

describe('the guangxi-2025 pack', () => {
  it('replaces guangxi-2025-live-commerce and is the whole list', () => {
    expect(pack).toBeDefined();
    expect(packs.map((p) => p.id)).not.toContain('guangxi-2025-live-commerce');
    expect(pack?.kind).toBe('list');
    expect(pack?.regime).toBe('guangxi');
    expect(pack?.list).toMatchObject({ id: 'guangxi-2025', polarity: 'negative', exemptPersonsCount: false, appliesTo: 'routes' });
  });

  it('holds the four domains in the order of the text', () => {
    expect(pack?.domains?.map((d) => [d.id, d.number, d.name.zh, d.items.length])).toEqual(DOMAINS.map((d) => [d.id, d.number, d.zh, d.items]));
  });

  it('holds 28 items, numbered 1..n in each domain in the order of the text', () => {
    expect(pack?.domains?.flatMap((d) => d.items)).toHaveLength(28);
    expect(ROWS).toHaveLength(28);
    for (const d of DOMAINS) expect(domain(d.id).items.map((i) => i.number)).toEqual(Array.from({ length: d.items }, (_, i) => i + 1));
  });

  it.each(DOMAINS)('$id declares the scenarios the text names', ({ id, scenarios }) => {
    const d = domain(id);
    expect(d.scenarios === 'any' ? 'any' : d.scenarios.map((s) => s.zh)).toEqual(scenarios);
  });

  it.each(DOMAINS)('$id has one general and one sensitive counter', ({ id }) => {
    const kinds = domain(id).counters.map((c) => c.kind);
    expect(kinds.filter((k) => k === 'general')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'sensitive')).toHaveLength(1);
  });
});

describe.each(ROWS)('$domain item $n', (row) => {
  const d = () => domain(row.domain);
  const it_ = () => item(row.domain, row.n);

  it(`is ${row.kind}, ${row.obligation}, cited and quoted`, () => {
    expect(it_().kind).toBe(row.kind);
    expect(it_().obligation).toBe(row.obligation);
    expect(it_().citation).toBe(`Guangxi 2025 list, domain ${d().number}, item ${row.n}`);
    expect(it_().text.startsWith(row.starts)).toBe(true);
  });

  it('applies to the scenarios the text names', () => {
    const s = it_().scenarios;
    if (row.scenarios === 'all' || !Array.isArray(row.scenarios)) expect(s).toEqual(row.scenarios);
    else {
      expect(Array.isArray(s)).toBe(true);
      expect(sorted((s as string[]).map((id) => scenarioZh(d(), id)))).toEqual(sorted(row.scenarios as string[]));
    }
  });

  it('has the thresholds the text names (min inclusive, max exclusive)', () => {
    const got = (it_().thresholds ?? []).map((t) => [counterOf(d(), t.counter)?.kind, t.min, t.max]);
    expect(got).toEqual(row.bands ?? []);
  });

  it('is limited to exactly the listed data items, on a limited counter with the same scope', () => {
    const ids = it_().dataItems;
    if (!row.dataItems) {
      expect(ids).toBeUndefined();
      return;
    }
    expect(sorted((ids ?? []).map((id) => dataItemZh(d(), id)))).toEqual(sorted(row.dataItems));
    expect(ids).toHaveLength(row.dataItems.length);
    for (const t of it_().thresholds ?? []) {
      const c = counterOf(d(), t.counter);
      expect(c?.kind).toBe('limited');
      expect(sorted(c?.scope?.dataItems ?? [])).toEqual(sorted(ids ?? []));
      expect(sorted(c?.scope?.scenarios ?? [])).toEqual(sorted(it_().scenarios as string[]));
    }
  });

  if (row.kind === 'important-data')
    it('describes its data, names indicators for review, and excludes exactly what 但不包括 excludes', () => {
      const i = it_();
      expect(i.characteristics?.zh.length).toBeGreaterThan(0);
      expect(i.characteristics?.en.length).toBeGreaterThan(0);
      expect(i.indicators?.length).toBeGreaterThanOrEqual(1);
      const known = new Set((d().indicators ?? []).map((x) => x.id));
      for (const id of i.indicators ?? []) expect(known.has(id)).toBe(true);
      expect(i.onIndicator).toBe('review');
      expect(i.thresholds).toBeUndefined();
      if (row.exclusion) {
        expect(i.exclusions?.length).toBeGreaterThanOrEqual(1);
        for (const e of i.exclusions ?? []) {
          expect(e.zh).toMatch(/^非表现中华人民共和国领域/);
          expect(e.en.length).toBeGreaterThan(0);
        }
      } else expect(i.exclusions).toBeUndefined();
    });
});

describe('data items and indicators', () => {
  it.each(DOMAINS)('$id declares exactly the data items its items list', ({ id }) => {
    const listed = new Set(ROWS.filter((r) => r.domain === id).flatMap((r) => r.dataItems ?? []));
    expect(sorted(domain(id).dataItems.map((i) => i.name.zh))).toEqual(sorted([...listed]));
  });

  it.each(DOMAINS)('$id: every data item has a role, its Chinese name and English names as fields', ({ id }) => {
    for (const i of domain(id).dataItems) {
      expect(i.subject).toBeDefined();
      expect(i.fields).toContain(i.name.zh);
      expect(i.fields.some((f) => LATIN.test(f))).toBe(true);
    }
  });

  it('the principals of 行业领域二 and the 15 roles of 行业领域四 are one person each', () => {
    expect(new Set(domain('enterprise-credit').dataItems.map((i) => i.subject))).toEqual(new Set(['principal']));
    expect(new Set(domain('overseas-av').dataItems.map((i) => i.subject))).toEqual(new Set(['professional']));
  });

  it.each([
    ['enterprise-credit', '姓名', 'name'],
    ['enterprise-credit', '性别', 'gender'],
    ['enterprise-credit', '年龄', 'age'],
    ['enterprise-credit', '住处', 'address'],
    ['enterprise-credit', '个人电话号码', 'contact'],
    ['enterprise-credit', '电子邮件地址', 'contact'],
    ['overseas-av', '姓名', 'name'],
    ['overseas-av', '性别', 'gender'],
    ['overseas-av', '联系方式', 'contact'],
    ['overseas-av', '年龄', 'age'],
  ])('%s %s identifies %s', (d, zh, identifies) => {
    expect(domain(d).dataItems.find((i) => i.name.zh === zh)?.identifies).toBe(identifies);
  });

  it.each(DOMAINS)('$id: indicators have Chinese and English field names, are used, and claim nothing a data item claims', ({ id }) => {
    const d = domain(id);
    const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[\s_.\-]/g, '');
    const dataFields = new Set(d.dataItems.flatMap((i) => i.fields.map(norm)));
    const used = new Set(d.items.flatMap((i) => i.indicators ?? []));
    const keywords = new Map<string, string>();
    expect(d.indicators?.length).toBeGreaterThan(0);
    for (const ind of d.indicators ?? []) {
      expect(used.has(ind.id)).toBe(true);
      // A volume indicator is found by counting precise locations, not by a name.
      if (ind.minPreciseLocations === undefined) {
        expect(ind.fields.some((f) => CJK.test(f))).toBe(true);
        expect(ind.fields.some((f) => LATIN.test(f))).toBe(true);
      }
      for (const f of ind.fields) expect(dataFields.has(norm(f))).toBe(false);
      for (const k of ind.keywords ?? []) {
        expect(k.length).toBeGreaterThanOrEqual(2);
        // One keyword belongs to one indicator, or the compiled map would silently keep the last.
        expect(keywords.get(k.toLowerCase()) ?? ind.id).toBe(ind.id);
        keywords.set(k.toLowerCase(), ind.id);
      }
    }
  });
});

describe('compiled', () => {
  it.each(['geo-meteo', 'enterprise-credit', 'live-commerce', 'overseas-av'])('guangxi-2025/%s compiles with its indicator rules', (id) => {
    const d = shippedPolicy().domains.get(`guangxi-2025/${id}`);
    expect(d).toBeDefined();
    const important = ROWS.filter((r) => r.domain === id && r.kind === 'important-data').map((r) => r.n);
    expect(d?.indicatorRules.map((r) => [r.item, r.onIndicator])).toEqual(important.map((n) => [n, 'review']));
  });

  it.each([
    ['enterprise-credit', [[11, K500, M2], [9, M2, undefined]]],
    ['overseas-av', [[5, K100, M2], [3, M2, undefined]]],
  ] as const)('guangxi-2025/%s: the limited counter carries the bands lowest first', (id, want) => {
    const d = shippedPolicy().domains.get(`guangxi-2025/${id}`);
    expect(d?.limited.map((c) => c.rules.map((r) => [r.item, r.min, r.max]))).toEqual([want]);
  });

  it('geo-meteo lists no personal information: its counters carry no threshold (说明六)', () => {
    const d = shippedPolicy().domains.get('guangxi-2025/geo-meteo');
    expect(d?.limited).toEqual([]);
    expect(d?.general.rules).toEqual([]);
    expect(d?.sensitive.rules).toEqual([]);
  });
});
