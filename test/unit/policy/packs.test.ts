/**
 * Policy packs: the broken packs kept in test/fixtures/packs/<defect>/ are refused with
 * XB_POLICY_INVALID at `<file>:<line> <key path>` (each fixture marks its error lines with
 * `# error: <key path>`), and the shipped Guangxi live-commerce pack says what the published
 * list says (Guangxi FTZ negative list 2025, domain 3, items 4-7).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XbError } from '../../../agent/errors.js';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { loadPacks, validatePackText, type ValidatedPack } from '../../../agent/policy/load.js';
import type { PackDomain } from '../../../agent/policy/schema.js';
import { PACKS_DIR, liveCommerce } from '../support/policy.js';

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'packs');

interface Marker {
  file: string;
  line: number;
  path: string;
}

/** `# error: <path>` markers of every pack in a fixture folder, with the file as the loader shows it. */
function markers(dir: string): Marker[] {
  return readdirSync(join(FIXTURES, dir))
    .sort()
    .flatMap((name) => {
      const file = relative(process.cwd(), join(FIXTURES, dir, name));
      return readFileSync(join(FIXTURES, dir, name), 'utf8')
        .split('\n')
        .flatMap((text, i) => {
          const m = /#\s*error:\s*(\S+)\s*$/.exec(text);
          return m ? [{ file, line: i + 1, path: m[1] as string }] : [];
        });
    });
}

function loadError(dir: string): XbError {
  try {
    loadPacks(join(FIXTURES, dir));
  } catch (err) {
    if (err instanceof XbError) return err;
    throw err;
  }
  throw new Error(`${dir} loaded without error`);
}

/** `<file>:<line> <path>` of every issue line in an XB_POLICY_INVALID message. */
const locations = (err: XbError): string[] => err.message.split('\n').slice(1).map((l) => l.slice(0, l.indexOf(': ')));

describe('the fixture base pack', () => {
  it('loads: every broken fixture differs from it by its one defect', () => {
    const packs = loadPacks(join(FIXTURES, 'valid'));
    expect(packs.map((p) => p.id)).toEqual(['test-list']);
    expect(compilePolicy(packs).domains.has('test-2025/shop')).toBe(true);
  });
});

describe('broken packs', () => {
  it.each([
    { dir: 'unknown-counter', what: 'a threshold on an unknown counter', says: /unknown counter limted/ },
    { dir: 'overlapping-thresholds', what: 'two items claiming the same persons of one counter', says: /threshold on limited overlaps item 1/ },
    { dir: 'duplicate-item-number', what: 'two items with one number', says: /duplicate item number 2/ },
    { dir: 'field-claimed-twice', what: 'a field name claimed by two data items', says: /field name shipper_name is already claimed by data item shipper-name/ },
    { dir: 'unknown-scenario', what: 'an item naming an unknown scenario', says: /unknown scenario livestream/ },
    { dir: 'limited-without-scope', what: 'a limited counter without a scope', says: /a limited counter needs a scope/ },
    { dir: 'max-not-above-min', what: 'a threshold whose max is not above its min', says: /max 100000 is not above min 100000/ },
    { dir: 'unknown-key', what: 'a misspelt key', says: /unknown key/ },
    { dir: 'missing-citation', what: 'an item without its citation', says: /citation/ },
    { dir: 'important-data-without-indicator', what: 'an important-data item nothing can find', says: /has no indicator, floor or threshold/ },
    { dir: 'unknown-indicator', what: 'an item naming an unknown indicator', says: /unknown indicator capacty/ },
    { dir: 'review-without-indicators', what: 'onIndicator on an item without indicators', says: /onIndicator needs indicators/ },
    { dir: 'unresolved-fallback', what: 'a positive-list fallback to a domain no pack has', says: /no loaded pack has domain cn-national\/nowhere/ },
    { dir: 'regime-unknown-list', what: 'a regime naming a list no pack defines', says: /no loaded pack defines list guangxi-2099/ },
    { dir: 'dictionaries-share-a-field', what: 'two dictionaries claiming one field name', says: /field name name is already claimed by dict-a data item person-name/ },
    { dir: 'duplicate-list-id', what: 'one list defined by two packs', says: /list test-2025 is also defined by/ },
    { dir: 'pi-item-without-thresholds', what: 'a personal-information item without thresholds', says: /personal-information item 1 needs thresholds/ },
    { dir: 'keyword-claimed-twice', what: 'a keyword claimed by two indicators of one domain', says: /keyword 年产能 is already claimed by indicator capacity/ },
    { dir: 'unknown-obligation', what: 'a misspelt obligation', says: /expected one of: security-assessment, standard-contract-or-certification, ftz-filing, prohibited/ },
  ])('$what ($dir) → XB_POLICY_INVALID at the marked lines', ({ dir, says }) => {
    const err = loadError(dir);
    const expected = markers(dir);
    expect(expected.length).toBeGreaterThan(0);
    expect(err.code).toBe('XB_POLICY_INVALID');
    expect(err.message).toMatch(says);
    for (const { file, line, path } of expected) expect(err.message).toContain(`${file}:${line} ${path}: `);
    expect(new Set(locations(err))).toEqual(new Set(expected.map(({ file, line, path }) => `${file}:${line} ${path}`)));
  });

  it('a YAML syntax error is XB_POLICY_INVALID naming the file', () => {
    const err = loadError('yaml-syntax-error');
    const [marked] = markers('yaml-syntax-error');
    expect(err.code).toBe('XB_POLICY_INVALID');
    expect(err.message).toContain(`${marked?.file}:`);
    expect(err.message).toMatch(/Tabs are not allowed as indentation/);
  });

  // Regression: YAML syntax errors were all reported at line 1 (the parser's positions were unused).
  it('a YAML syntax error is reported at its line', () => {
    const err = loadError('yaml-syntax-error');
    const [marked] = markers('yaml-syntax-error');
    expect(err.message).toContain(`${marked?.file}:${marked?.line} (root): Tabs are not allowed as indentation`);
  });

  // Regression: a duplicate pack id was reported at line 1, not at its `id:` key.
  it('a pack id used twice is reported at the line of the second id', () => {
    const err = loadError('duplicate-pack-id');
    const [marked] = markers('duplicate-pack-id');
    expect(err.code).toBe('XB_POLICY_INVALID');
    expect(err.message).toContain(`${marked?.file}:${marked?.line} id: pack id test-list is also used by`);
  });

  it('a pack id used twice is XB_POLICY_INVALID naming the second file', () => {
    const err = loadError('duplicate-pack-id');
    expect(err.code).toBe('XB_POLICY_INVALID');
    expect(err.message).toMatch(/b-list\.yaml:\d+ id: pack id test-list is also used by .*a-list\.yaml/);
  });

  it('an empty or missing policy directory is XB_POLICY_INVALID', () => {
    expect(() => loadPacks(join(FIXTURES, 'no-such-dir'))).toThrow(expect.objectContaining({ code: 'XB_POLICY_INVALID' }));
  });

  it('validatePackText reports the same issue without throwing', () => {
    const text = readFileSync(join(FIXTURES, 'unknown-counter', 'test-list.yaml'), 'utf8');
    const [marked] = markers('unknown-counter');
    const { pack, issues } = validatePackText(text, 'unknown-counter.yaml');
    expect(pack).toBeUndefined();
    expect(issues).toEqual([{ file: 'unknown-counter.yaml', line: marked?.line, path: 'domains[0].items[0].thresholds[0].counter', message: 'unknown counter limted' }]);
  });
});

describe('the shipped packs', () => {
  const packs: ValidatedPack[] = loadPacks(PACKS_DIR);
  const domainOf = (): PackDomain => {
    const d = packs.find((p) => p.id === 'guangxi-2025')?.domains?.find((x) => x.id === 'live-commerce');
    if (!d) throw new Error('live-commerce domain missing');
    return d;
  };
  const scenariosOf = () => {
    const s = domainOf().scenarios;
    if (s === 'any') throw new Error('live commerce lists its scenarios');
    return s;
  };
  const item = (n: number) => {
    const found = domainOf().items.find((i) => i.number === n);
    if (!found) throw new Error(`item ${n} missing`);
    return found;
  };
  /** Thresholds as the list reads them: counter, min, max (undefined: no upper bound). */
  const bands = (n: number) => (item(n).thresholds ?? []).map((t) => [t.counter, t.min, t.max]);

  it('load without error', () => {
    // Other packs (national, regimes, important data) ship beside these; the old split pack is gone.
    expect(packs.map((p) => p.id)).toEqual(expect.arrayContaining(['cn-pi-dictionary', 'guangxi-2025']));
    expect(packs.map((p) => p.id)).not.toContain('guangxi-2025-live-commerce');
    expect(liveCommerce().ref).toBe('guangxi-2025/live-commerce');
  });

  // The published sentences (广西自贸试验区数据出境管理清单（负面清单）（2025版）, 行业领域三).
  it.each([
    { n: 4, obligation: 'security-assessment', bands: [['limited', 2_000_000, undefined]], text: '自当年1月1日起累计向境外提供200万人以上的个人信息（不含敏感个人信息）。' },
    {
      n: 5,
      obligation: 'security-assessment',
      bands: [
        ['general', 1_000_000, undefined],
        ['sensitive', 10_000, undefined],
      ],
      text: '自当年1月1日起累计向境外提供100万人以上的个人信息（不含敏感个人信息），或1万人以上的敏感个人信息。',
    },
    { n: 6, obligation: 'standard-contract-or-certification', bands: [['limited', 100_000, 2_000_000]], text: '自当年1月1日起累计向境外提供10万人以上但不足200万人的个人信息（不含敏感个人信息）。' },
    {
      n: 7,
      obligation: 'standard-contract-or-certification',
      bands: [
        ['general', 100_000, 1_000_000],
        ['sensitive', 1, 10_000],
      ],
      text: '自当年1月1日起累计向境外提供10万人以上、不满100万人的个人信息（不含敏感个人信息）或者不满1万人敏感个人信息。',
    },
  ])('item $n: $obligation on $bands', ({ n, obligation, bands: want, text }) => {
    expect(item(n).obligation).toBe(obligation);
    expect(bands(n)).toEqual(want);
    expect(item(n).text.startsWith(text)).toBe(true);
    expect(item(n).kind).toBe('personal-information');
  });

  it('items 5 and 7 apply outside the scenarios of items 4 and 6', () => {
    expect(item(5).scenarios).toEqual({ except: [4] });
    expect(item(7).scenarios).toEqual({ except: [6] });
  });

  it('compiles the bands onto the counters, lowest first', () => {
    const d = liveCommerce();
    const rules = (c: { rules: readonly { item: number; min: number; max: number | undefined }[] }) => c.rules.map((r) => [r.item, r.min, r.max]);
    expect(d.limited.map(rules)).toEqual([
      [
        [6, 100_000, 2_000_000],
        [4, 2_000_000, undefined],
      ],
    ]);
    expect(rules(d.general)).toEqual([
      [7, 100_000, 1_000_000],
      [5, 1_000_000, undefined],
    ]);
    expect(rules(d.sensitive)).toEqual([
      [7, 1, 10_000],
      [5, 10_000, undefined],
    ]);
  });

  // 仅限于直播带货、跨境配送、主播管理、主播培训场景。仅限于以下数据项：发货人姓名、发货地址、发货时间、
  // 发货人联系方式、货品名称、货品数量、订单号、主播姓名、主播性别、主播年龄、主播联系方式、带货品类、主播形象照片等。
  const LISTED_ITEMS = ['发货人姓名', '发货地址', '发货时间', '发货人联系方式', '货品名称', '货品数量', '订单号', '主播姓名', '主播性别', '主播年龄', '主播联系方式', '带货品类', '主播形象照片'];
  const LISTED_SCENARIOS = ['直播带货', '跨境配送', '主播管理', '主播培训'];

  it('scopes the limited counter to exactly the 13 data items of items 4 and 6', () => {
    const d = domainOf();
    const zhOf = new Map(d.dataItems.map((i) => [i.id, i.name.zh]));
    const [limited] = liveCommerce().limited;
    const names = [...(limited?.scope?.dataItems ?? [])].map((id) => zhOf.get(id));
    expect(names).toHaveLength(13);
    expect(names.sort()).toEqual([...LISTED_ITEMS].sort());
  });

  it('scopes the limited counter to exactly the four scenarios of items 4 and 6', () => {
    const zhOf = new Map(scenariosOf().map((s) => [s.id, s.zh]));
    const [limited] = liveCommerce().limited;
    const names = [...(limited?.scope?.scenarios ?? [])].map((id) => zhOf.get(id));
    expect(names.sort()).toEqual([...LISTED_SCENARIOS].sort());
  });

  it('lists the same scenarios and data items on items 4 and 6 as on the limited counter', () => {
    const counter = domainOf().counters.find((c) => c.kind === 'limited');
    for (const n of [4, 6]) {
      expect(item(n).scenarios).toEqual(counter?.scope?.scenarios);
      expect(item(n).dataItems).toEqual(counter?.scope?.dataItems);
    }
  });

  it('declares all six scenarios of 注2', () => {
    expect(scenariosOf().map((s) => s.zh)).toEqual(['直播带货', '直播间运营', '跨境配送', '主播管理', '主播培训', '文案策划']);
  });
});
