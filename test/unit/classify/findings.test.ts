/**
 * classify() with the new detectors: what counts (a PiField identify/ keys), what is only shown
 * for review (Classified.findings: detector, path, reason — never the value, never counted), and
 * what the object around a value decides (coordinate pairs, an individual business's code).
 */
import { describe, expect, it } from 'vitest';
import { polygonFrom } from '../../../agent/classify/detectors/coordinates.js';
import { classify } from '../../../agent/classify/index.js';
import { identify } from '../../../agent/identify/index.js';
import type { Classified, PiField } from '../../../agent/types.js';
import { liveCommerce } from '../support/policy.js';
import { withLuhn, withUsccCheck } from './checksums.js';

const ON = new Date('2025-06-01T00:00:00Z');
const run = (...records: unknown[]): Classified => classify({ records }, liveCommerce(), ON);
const fields = (c: Classified): PiField[] => [...(c.records[0]?.fields ?? [])];
const subjects = (c: Classified) => identify(c, { key: Buffer.alloc(32, 7), transferId: 't-1', onDate: ON, sensitivityProfile: 'gbt45574' }).subjects;
const CARD = withLuhn('622202123456789');
const INDIVIDUAL = withUsccCheck('92450103MA5K1234X');
const COMPANY = withUsccCheck('91450100MA5K12345');

describe('passports: label context or a finding', () => {
  it('shows a passport-like value in a remark, alone, as a finding and counts nothing', () => {
    const c = run({ remark: 'E12345678' });
    expect(fields(c)).toEqual([]);
    expect(c.dataItems).toEqual([]);
    expect(c.findings).toEqual([{ detector: 'passport', dataItem: 'passport-number', path: 'remark', confidence: 'low', reason: 'no-label', occurrences: 1 }]);
    expect(subjects(c)).toEqual([]);
  });

  it('counts the same value behind a label in the remark', () => {
    const c = run({ remark: '护照号 E12345678' });
    expect(fields(c)).toEqual([
      { path: 'remark', parent: 'remark', dataItem: 'passport-number', subject: undefined, identifies: 'passport', sensitive: 'strict', via: 'detector', value: 'E12345678' },
    ]);
    expect(c.findings).toEqual([]);
    expect(subjects(c).map((s) => s.basis)).toEqual(['passport']);
  });

  it('counts it in a passportNo field, once (by name; the detector adds no second reading)', () => {
    const c = run({ passportNo: 'E12345678' });
    expect(fields(c)).toEqual([expect.objectContaining({ path: 'passportNo', dataItem: 'passport-number', via: 'field-name', value: 'E12345678' })]);
    expect(c.findings).toEqual([]);
  });

  it('takes a field name the dictionary does not know as label context too', () => {
    const c = run({ holderPassport: 'G12345678', remark: '通行证 C12345678' });
    expect(fields(c).map((f) => [f.path, f.dataItem, f.via])).toEqual([
      ['holderPassport', 'passport-number', 'detector'],
      ['remark', 'travel-permit-number', 'detector'],
    ]);
  });

  it('reports one finding per detector, field shape and reason, counting its occurrences, never its value', () => {
    const c = run({ items: [{ remark: 'E12345678' }, { remark: '单号 E87654321' }] }, { items: [{ remark: 'G11112222' }] });
    expect(c.findings).toEqual([{ detector: 'passport', dataItem: 'passport-number', path: 'items[0].remark', confidence: 'low', reason: 'no-label', occurrences: 3 }]);
    expect(JSON.stringify(c.findings)).not.toMatch(/E12345678|E87654321|G11112222/);
  });
});

describe('individual businesses’ credit codes (type 92) belong to the operator', () => {
  it('counts a type-92 code beside the operator’s name, with the name, keyed by the code', () => {
    const c = run({ 经营者: '张三', 统一社会信用代码: INDIVIDUAL });
    expect(fields(c)).toEqual([
      expect.objectContaining({ path: '经营者', dataItem: 'person-name', via: 'field-name' }),
      { path: '统一社会信用代码', parent: '', dataItem: 'individual-business-code', subject: undefined, identifies: 'account', sensitive: undefined, via: 'field-name', value: INDIVIDUAL },
    ]);
    const found = subjects(c);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ basis: 'account', dataItems: ['individual-business-code', 'person-name'] });
  });

  it('joins the role of the name beside it', () => {
    const c = run({ shipper: { name: '张三', creditCode: INDIVIDUAL } });
    expect(fields(c).find((f) => f.dataItem === 'individual-business-code')).toMatchObject({ parent: 'shipper', subject: 'shipper' });
    expect(subjects(c)).toHaveLength(1);
  });

  it('shows a type-92 code with no name in its object as a finding', () => {
    const c = run({ creditCode: INDIVIDUAL, shop: { name: '张三' } });
    expect(fields(c).map((f) => f.dataItem)).toEqual(['person-name']);
    expect(c.findings).toEqual([{ detector: 'uscc-92', dataItem: 'individual-business-code', path: 'creditCode', confidence: 'low', reason: 'no-operator-name', occurrences: 1 }]);
  });

  it('counts an organization’s code nowhere, name or not', () => {
    const c = run({ name: '张三', companyCode: COMPANY, remark: `供应商 ${COMPANY}` });
    expect(fields(c).map((f) => f.dataItem)).toEqual(['person-name']);
    expect(c.findings).toEqual([]);
  });
});

describe('coordinates', () => {
  it('counts a precise pair in sibling fields with a prefix as the object’s precise location', () => {
    const c = run({ gpsLat: 22.81712, gpsLng: 108.36654 });
    expect(fields(c)).toEqual([
      { path: 'gpsLat', parent: '', dataItem: 'precise-location', subject: undefined, identifies: undefined, sensitive: 'always', via: 'field-name', value: '22.81712,108.36654' },
    ]);
  });

  it('joins the role its prefix or its object names', () => {
    const c = run({ shipperName: '张三', shipperPhone: '13800138000', shipperLat: '22.81712', shipperLng: '108.36654' });
    expect(fields(c).find((f) => f.dataItem === 'precise-location')).toMatchObject({ subject: 'shipper', parent: '' });
    const found = subjects(c);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ basis: 'phone', sensitive: true });
  });

  it('reads 收货纬度 / 收货经度 and numeric strings alike', () => {
    expect(fields(run({ 收货纬度: '22.8171', 收货经度: '108.3665' })).map((f) => f.dataItem)).toEqual(['precise-location']);
  });

  it('leaves an imprecise pair, a lone half and mismatched prefixes', () => {
    expect(fields(run({ gpsLat: 22.817, gpsLng: 108.366 }))).toEqual([]);
    expect(fields(run({ gpsLat: 22.81712 }))).toEqual([]);
    expect(fields(run({ startLat: 22.81712, endLng: 108.36654 }))).toEqual([]);
  });

  it('shows a precise named pair outside the outline as a finding', () => {
    const c = run({ gpsLat: '35.6895', gpsLng: '139.6917' });
    expect(fields(c)).toEqual([]);
    expect(c.findings).toEqual([{ detector: 'coordinates', dataItem: 'precise-location', path: 'gpsLat', confidence: 'low', reason: 'outside-polygon', occurrences: 1 }]);
  });

  it('takes the precision and the polygon as options', () => {
    const options = { coordinatePrecision: 3, polygon: polygonFrom({ vertices: [[139, 35], [140, 35], [140, 36], [139, 36]] }) };
    const c = classify({ records: [{ gpsLat: 35.689, gpsLng: 139.692, remark: '35.689, 139.692' }] }, liveCommerce(), ON, undefined, options);
    expect(fields(c).map((f) => [f.path, f.via])).toEqual([
      ['remark', 'detector'],
      ['gpsLat', 'field-name'],
    ]);
  });

  it('leaves bare lat/lng fields to the dictionary: counted by name, once', () => {
    const c = run({ lat: 22.8, lng: 108.3 });
    expect(fields(c).map((f) => [f.path, f.dataItem, f.via])).toEqual([
      ['lat', 'precise-location', 'field-name'],
      ['lng', 'precise-location', 'field-name'],
    ]);
  });

  it('finds a precise pair in a remark', () => {
    expect(fields(run({ remark: '定位 22.81712,108.36654' }))).toEqual([expect.objectContaining({ dataItem: 'precise-location', via: 'detector', value: '22.81712,108.36654' })]);
  });

  it('does not count a coordinates field twice (name and detector)', () => {
    expect(fields(run({ coordinates: '22.81712,108.36654' })).map((f) => f.via)).toEqual(['field-name']);
  });
});

describe('bank cards and accounts', () => {
  it('counts a card in a remark as sensitive financial data', () => {
    const c = run({ remark: `退款卡号 ${CARD}` });
    expect(fields(c)).toEqual([expect.objectContaining({ dataItem: 'bank-card-number', identifies: 'account', sensitive: 'always', via: 'detector', value: CARD })]);
    expect(subjects(c)[0]).toMatchObject({ basis: 'account', sensitive: true });
  });

  it('shows a card-shaped order number as a finding, not a card', () => {
    const c = run({ orderNo: CARD });
    expect(fields(c).map((f) => f.dataItem)).toEqual(['order-number']);
    expect(c.findings).toEqual([{ detector: 'bank-card', dataItem: 'bank-card-number', path: 'orderNo', confidence: 'low', reason: 'order-context', occurrences: 1 }]);
  });

  it('reads a labelled card or account field once', () => {
    expect(fields(run({ bankCardNo: CARD })).map((f) => f.via)).toEqual(['field-name']);
    expect(fields(run({ accountNo: '1234567890123' })).map((f) => f.via)).toEqual(['field-name']);
  });

  it('counts a labelled account number in a remark, and not a bare one', () => {
    expect(fields(run({ remark: '收款账号：1234567890123' })).map((f) => f.dataItem)).toEqual(['bank-account-number']);
    expect(fields(run({ remark: '1234567890123' }))).toEqual([]);
  });
});

describe('contact details, plates and IP addresses', () => {
  it('counts an e-mail address in a remark, keyed as an e-mail', () => {
    const c = run({ remark: '请发至 Zhang.San@Example.com' });
    expect(fields(c)).toEqual([expect.objectContaining({ dataItem: 'email-address', identifies: 'contact', via: 'detector', value: 'zhang.san@example.com' })]);
    expect(subjects(c).map((s) => s.basis)).toEqual(['email']);
  });

  it('counts a landline in a remark as a contact, never a key on its own', () => {
    const c = run({ remark: '座机 0771-2345678' });
    expect(fields(c)).toEqual([expect.objectContaining({ dataItem: 'landline-number', identifies: 'contact', value: '0771-2345678' })]);
    expect(subjects(c).map((s) => s.basis)).toEqual(['unlinkable']);
  });

  it('counts a plate as PI, not sensitive, a quasi-identifier beside a name', () => {
    const alone = run({ remark: '车牌 桂A12345' });
    expect(fields(alone)).toEqual([expect.objectContaining({ dataItem: 'licence-plate', identifies: 'address', sensitive: undefined, value: '桂A12345' })]);
    expect(subjects(alone).map((s) => [s.basis, s.sensitive])).toEqual([['unlinkable', false]]);
    const named = run({ name: '张三', plateNo: '桂A12345' });
    expect(subjects(named).map((s) => s.basis)).toEqual(['quasi']);
  });

  it('sees an IP address as PI but never as a person or a person key', () => {
    const alone = run({ remark: 'login from 61.139.2.69' });
    expect(alone.dataItems).toEqual(['ip-address']);
    expect(subjects(alone)).toEqual([]);
    const shared = run({ name: '张三', clientIp: '61.139.2.69' }, { name: '李四', clientIp: '61.139.2.69' });
    const found = subjects(shared);
    expect(found.map((s) => s.basis)).toEqual(['unlinkable', 'unlinkable']);
    expect(found[0]?.key.equals(found[1]?.key as Buffer)).toBe(false);
  });
});
