/**
 * classify() with the real compiled Guangxi live-commerce domain: field names in Chinese and
 * English, flat and nested, map to the listed data items; value detectors catch identifiers in
 * fields whose names say nothing; hostile nesting is refused.
 */
import { describe, expect, it } from 'vitest';
import { classify, MAX_DEPTH } from '../../../agent/classify/index.js';
import { XbError } from '../../../agent/errors.js';
import type { Classified, PiField } from '../../../agent/types.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { indexIndicators } from '../../../agent/policy/indicators.js';
import { loadPacks } from '../../../agent/policy/load.js';
import type { Domain } from '../../../agent/policy/types.js';
import { liveCommerce, PACKS_DIR, residentId } from '../support/policy.js';

const ON = new Date('2025-06-01T00:00:00Z');
const run = (...records: unknown[]): Classified => classify({ records }, liveCommerce(), ON);
/** path → data item of the first record, for readable expectations. */
const items = (c: Classified): Record<string, string> =>
  Object.fromEntries((c.records[0]?.fields ?? []).map((f) => [f.path, f.dataItem]));
const field = (c: Classified, path: string): PiField | undefined => c.records[0]?.fields.find((f) => f.path === path);

describe('field names map to the listed data items', () => {
  it('reads Chinese field names', () => {
    const c = run({ 发货人姓名: '张三', 发货地址: '南宁市青秀区民族大道1号', 发货人联系方式: '13800138000', 货品名称: '螺蛳粉', 货品数量: '3', 订单号: 'GX2025-0001' });
    expect(items(c)).toEqual({
      发货人姓名: 'shipper-name',
      发货地址: 'shipping-address',
      发货人联系方式: 'shipper-contact',
      货品名称: 'goods-name',
      货品数量: 'goods-quantity',
      订单号: 'order-number',
    });
  });

  it('reads camelCase and snake_case English names alike', () => {
    for (const name of ['shipperName', 'shipper_name', 'SHIPPER-NAME', 'shipper name']) {
      expect(items(run({ [name]: 'Zhang San' })), name).toEqual({ [name]: 'shipper-name' });
    }
  });

  it('reads a nested role object by its parent key', () => {
    const c = run({ shipper: { name: '张三', phone: '13800138000', address: '南宁市' } });
    expect(items(c)).toEqual({ 'shipper.name': 'shipper-name', 'shipper.phone': 'shipper-contact', 'shipper.address': 'shipping-address' });
    expect(field(c, 'shipper.name')).toMatchObject({ parent: 'shipper', subject: 'shipper', identifies: 'name', via: 'field-name', value: '张三' });
  });

  it('reads anchor fields', () => {
    const c = run({ anchor: { name: '李四', gender: '女', age: '25', phone: '13912345678' }, 带货品类: '食品' });
    expect(items(c)).toEqual({
      'anchor.name': 'anchor-name',
      'anchor.gender': 'anchor-gender',
      'anchor.age': 'anchor-age',
      'anchor.phone': 'anchor-contact',
      带货品类: 'product-category',
    });
  });

  it('maps buyer fields to the dictionary items, outside the listed ones', () => {
    const c = run({ buyerName: 'Tan Ah Kow', buyer: { phone: '+65 9123 4567' } });
    expect(items(c)).toEqual({ buyerName: 'recipient-name', 'buyer.phone': 'recipient-contact' });
    expect(field(c, 'buyerName')?.subject).toBe('recipient');
  });

  it('lists every data item of the transfer once, sorted', () => {
    const c = run({ shipperName: 'a', buyerName: 'b' }, { shipperName: 'c', orderNo: 'X1' });
    expect(c.dataItems).toEqual(['order-number', 'recipient-name', 'shipper-name']);
    expect(c.records).toHaveLength(2);
  });

  it('keeps array indices in the path but reads the field by its name', () => {
    const c = run({ parcels: [{ shipperName: 'a' }, { shipperName: 'b' }] });
    expect(c.records[0]?.fields.map((f) => [f.path, f.dataItem])).toEqual([
      ['parcels[0].shipperName', 'shipper-name'],
      ['parcels[1].shipperName', 'shipper-name'],
    ]);
  });

  it('finds no PI in fields that carry none', () => {
    const c = run({ sku: 'A-1', weightKg: 1.2, remark: '易碎' });
    expect(c.records[0]?.fields).toEqual([]);
    expect(c.dataItems).toEqual([]);
  });
});

describe('value detectors catch identifiers in fields whose names say nothing', () => {
  it('finds a resident ID in a remark', () => {
    const id = residentId('19900315', '450103');
    const c = run({ remark: `收件人身份证 ${id} 请核对` });
    expect(c.records[0]?.fields).toEqual([
      { path: 'remark', parent: 'remark', dataItem: 'resident-id-number', sensitive: 'strict', subject: undefined, identifies: 'resident-id', via: 'detector', value: id },
    ]);
    expect(c.dataItems).toEqual(['resident-id-number']);
  });

  it('finds a mobile number in a remark', () => {
    const c = run({ note: '请联系 138-0013-8000' });
    expect(field(c, 'note')).toMatchObject({ dataItem: 'mobile-number', via: 'detector', value: '13800138000' });
  });

  it('detects a phone number sent as a JSON number', () => {
    const c = run({ ref: 13800138000 });
    expect(field(c, 'ref')).toMatchObject({ dataItem: 'mobile-number', via: 'detector', value: '13800138000' });
  });

  it('classifies a phone number sent as a JSON number in a labelled field', () => {
    const c = run({ shipperPhone: 13800138000 });
    expect(c.records[0]?.fields).toEqual([
      expect.objectContaining({ path: 'shipperPhone', dataItem: 'shipper-contact', via: 'field-name', value: '13800138000' }),
    ]);
  });

  it('classifies small JSON numbers in labelled fields (regression: quantities and ages were dropped)', () => {
    const c = run({ 货品数量: 3, anchor: { age: 12 } });
    expect(items(c)).toEqual({ 货品数量: 'goods-quantity', 'anchor.age': 'anchor-age' });
    expect(field(c, 'anchor.age')?.value).toBe('12');
  });

  it('ignores small JSON numbers in unlabelled fields', () => {
    expect(run({ weightKg: 1.2, parcels: 3, sku: 1380013 }).records[0]?.fields).toEqual([]);
  });

  it('does not run detectors again on a labelled contact field', () => {
    const c = run({ shipperPhone: '13800138000' });
    expect(c.records[0]?.fields).toHaveLength(1);
  });

  it('still detects an ID hidden in a labelled non-identifier field', () => {
    const id = residentId('19851120', '450103');
    const c = run({ shipperAddress: `南宁市 ${id}` });
    expect(c.records[0]?.fields.map((f) => [f.dataItem, f.via])).toEqual([
      ['shipping-address', 'field-name'],
      ['resident-id-number', 'detector'],
    ]);
  });
});

describe('nesting depth', () => {
  /** A record whose string leaf sits `levels` objects deep (built iteratively, not recursively). */
  const nested = (levels: number): Record<string, unknown> => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value as Record<string, unknown>;
  };

  it(`walks a record nested ${MAX_DEPTH} levels`, () => {
    expect(() => run(nested(MAX_DEPTH))).not.toThrow();
  });

  it('refuses a record nested deeper with XB_PARSE_TOO_DEEP', () => {
    const err = (() => {
      try {
        run(nested(MAX_DEPTH + 1));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(XbError);
    expect((err as XbError).code).toBe('XB_PARSE_TOO_DEEP');
  });

  it('refuses a very deep record without exhausting the stack', () => {
    expect(() => run(nested(100_000))).toThrow(expect.objectContaining({ code: 'XB_PARSE_TOO_DEEP' }));
  });

  it('counts arrays as levels too', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH + 1; i++) value = [value];
    expect(() => run({ list: value })).toThrow(expect.objectContaining({ code: 'XB_PARSE_TOO_DEEP' }));
  });
});

describe('pinyin-ish field names', () => {
  it('reads fahuoren / fahuorenDianhua / shouhuoren / shenfenzheng like their Chinese names', () => {
    const c = run({ fahuoren: '张三', fahuorenDianhua: '13800138000', shouhuoren: 'Tan', shenfenzhenghao: '110105194912310021' });
    expect(c.dataItems).toEqual(['recipient-name', 'resident-id-number', 'shipper-contact', 'shipper-name']);
  });
});

describe('volume indicators', () => {
  // Guangxi 2025 list, domain 1, item 1: many precise points inside the PRC suggest geographic
  // data of national coverage and precision (the 10,000 is the pack's interpretation, for review).
  const geo = compilePolicy(loadPacks(PACKS_DIR)).domains.get('guangxi-2025/geo-meteo') as Domain;
  const index = indexIndicators([geo]);
  const points = (n: number) => Array.from({ length: n }, (_, i) => ({ site: `S${i}`, location: { lat: `22.${81712 + i}`, lng: '108.36615' } }));

  it('fires once the transfer carries 10,000 precise locations in China, counting a lat/lng pair once', () => {
    const below = classify({ records: points(9_999) }, geo, ON, index);
    expect(below.preciseLocations).toBe(9_999);
    expect(below.indicators.some((h) => h.indicator === 'precise-location-volume')).toBe(false);
    const at = classify({ records: points(10_000) }, geo, ON, index);
    expect(at.indicators).toContainEqual({ domain: 'guangxi-2025/geo-meteo', indicator: 'precise-location-volume', via: 'volume' });
  });
});
