/**
 * identify(): one person written many ways gets one key; the strongest identifier wins; what
 * cannot be linked is never merged with a namesake; minors and the strict profile make a subject
 * sensitive; raw values stop here.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../agent/classify/index.js';
import { identify, type IdentifyContext } from '../../../agent/identify/index.js';
import { personKey } from '../../../agent/identify/key.js';
import { normalizeEmail, normalizePhone, normalizeResidentId, normalizeText } from '../../../agent/identify/normalize.js';
import type { Classified, PiField, Subject } from '../../../agent/types.js';
import { liveCommerce, residentId } from '../support/policy.js';

const KEY = Buffer.alloc(32, 0x11);
const OTHER_KEY = Buffer.alloc(32, 0x22);
const ON = new Date('2025-06-01T04:00:00Z'); // 12:00 China time
const ctx = (over: Partial<IdentifyContext> = {}): IdentifyContext => ({
  key: KEY,
  transferId: 'transfer-1',
  onDate: ON,
  sensitivityProfile: 'gbt45574',
  ...over,
});

type Kind = 'name' | 'address' | 'contact' | 'resident-id' | 'age' | 'gender' | undefined;
/** One labelled field at the record's top level. */
const f = (dataItem: string, identifies: Kind, value: string, subject: string | undefined = 'shipper', parent = ''): PiField => ({
  path: parent ? `${parent}.${dataItem}` : dataItem,
  parent,
  dataItem,
  subject,
  identifies,
  sensitive: undefined,
  via: 'field-name',
  value,
});
const transfer = (...records: PiField[][]): Classified => ({
  records: records.map((fields) => ({ fields })),
  dataItems: [...new Set(records.flat().map((x) => x.dataItem))].sort(),
  indicators: [],
});
/** The only subject of a one-record transfer. */
const only = (fields: PiField[], c: IdentifyContext = ctx()): Subject => {
  const { subjects } = identify(transfer(fields), c);
  expect(subjects).toHaveLength(1);
  return subjects[0] as Subject;
};
const hex = (s: Subject): string => s.key.toString('hex');

const ADULT_ID = residentId('19900315', '450103');

describe('one phone number written three ways is one person', () => {
  const written = ['138 0013 8000', '+86 13800138000', '１３８００１３８０００', '0086-138-0013-8000'];

  it('gives the same key and basis phone for every writing, across transfers', () => {
    const subjects = written.map((phone, i) => only([f('shipper-contact', 'contact', phone)], ctx({ transferId: `t-${i}` })));
    for (const s of subjects) expect(s.basis).toBe('phone');
    expect(new Set(subjects.map(hex)).size).toBe(1);
  });

  it('is the HMAC of the normalized number under the company key', () => {
    const s = only([f('shipper-contact', 'contact', '+86 138-0013-8000')]);
    expect(s.key.equals(personKey(KEY, 'phone', '13800138000'))).toBe(true);
  });

  it('gives a different key under a different company key', () => {
    const a = only([f('shipper-contact', 'contact', '13800138000')]);
    const b = only([f('shipper-contact', 'contact', '13800138000')], ctx({ key: OTHER_KEY }));
    expect(hex(a)).not.toBe(hex(b));
  });

  it('gives different people different keys', () => {
    const a = only([f('shipper-contact', 'contact', '13800138000')]);
    const b = only([f('shipper-contact', 'contact', '13800138001')]);
    expect(hex(a)).not.toBe(hex(b));
  });
});

describe('the strongest identifier keys the person: resident ID > phone > e-mail > quasi', () => {
  const id = f('resident-id-number', 'resident-id', ADULT_ID);
  const phone = f('shipper-contact', 'contact', '13800138000');
  const email = f('email-address', 'contact', 'Zhang.San@Example.com');
  const name = f('shipper-name', 'name', '张三');
  const address = f('shipping-address', 'address', '南宁市青秀区民族大道1号');

  it.each([
    { what: 'resident ID, phone, e-mail, name and address', fields: [address, email, name, phone, id], basis: 'resident-id', key: personKey(KEY, 'resident-id', ADULT_ID) },
    { what: 'phone, e-mail, name and address', fields: [address, name, email, phone], basis: 'phone', key: personKey(KEY, 'phone', '13800138000') },
    { what: 'e-mail, name and address', fields: [name, email, address], basis: 'email', key: personKey(KEY, 'email', 'zhang.san@example.com') },
  ])('$what → keyed by $basis', ({ fields, basis, key }) => {
    const s = only(fields);
    expect(s.basis).toBe(basis);
    expect(s.key.equals(key)).toBe(true);
  });

  it('keys by name and address together (quasi) when nothing stronger is there', () => {
    expect(only([name, address]).basis).toBe('quasi');
  });

  it('does not depend on the order of the fields', () => {
    const a = only([name, address, phone]);
    const b = only([phone, address, name]);
    expect(hex(a)).toBe(hex(b));
  });

  it('falls back to the next identifier when a resident ID fails its check', () => {
    const bad = f('resident-id-number', 'resident-id', `${ADULT_ID.slice(0, 17)}${ADULT_ID[17] === '0' ? '1' : '0'}`);
    expect(only([bad, phone]).basis).toBe('phone');
  });

  it('normalizes the resident ID (lower-case x, spaces) before keying', () => {
    const textbook = '11010519491231002X';
    const a = only([f('resident-id-number', 'resident-id', textbook)]);
    const b = only([f('resident-id-number', 'resident-id', '110105 19491231 002x')]);
    expect(a.basis).toBe('resident-id');
    expect(hex(a)).toBe(hex(b));
  });
});

describe('what cannot be linked is never merged', () => {
  it('keys a bare name as unlinkable, new in every transfer', () => {
    const a = only([f('shipper-name', 'name', '张三')], ctx({ transferId: 't-1' }));
    const b = only([f('shipper-name', 'name', '张三')], ctx({ transferId: 't-2' }));
    expect(a.basis).toBe('unlinkable');
    expect(b.basis).toBe('unlinkable');
    expect(hex(a)).not.toBe(hex(b));
  });

  it('counts two records with the same bare name in one transfer as two persons', () => {
    const { subjects } = identify(transfer([f('shipper-name', 'name', '张三')], [f('shipper-name', 'name', '张三')]), ctx());
    expect(subjects).toHaveLength(2);
    expect(hex(subjects[0] as Subject)).not.toBe(hex(subjects[1] as Subject));
  });

  it('keys name and address as quasi, the same in every transfer', () => {
    const fields = [f('shipper-name', 'name', '张三'), f('shipping-address', 'address', '南宁市青秀区民族大道1号')];
    const a = only(fields, ctx({ transferId: 't-1' }));
    const b = only(fields, ctx({ transferId: 't-2' }));
    expect(a.basis).toBe('quasi');
    expect(hex(a)).toBe(hex(b));
  });

  it('reads the quasi identifiers normalized (width, case, spacing)', () => {
    const a = only([f('shipper-name', 'name', 'Zhang  San'), f('shipping-address', 'address', 'Nanning ')]);
    const b = only([f('shipper-name', 'name', 'ＺＨＡＮＧ SAN'), f('shipping-address', 'address', ' nanning')]);
    expect(hex(a)).toBe(hex(b));
  });

  it('makes no subject of a record with no identifying field (goods and order numbers only)', () => {
    expect(identify(transfer([f('goods-name', undefined, '螺蛳粉'), f('order-number', undefined, 'GX-1')]), ctx()).subjects).toEqual([]);
  });
});

describe('sensitive subjects', () => {
  it('marks a person under 14 by the birth date in the ID as sensitive (PIPL Art. 28)', () => {
    const child = residentId('20150601', '450103');
    expect(only([f('resident-id-number', 'resident-id', child)]).sensitive).toBe(true);
    expect(only([f('resident-id-number', 'resident-id', ADULT_ID)]).sensitive).toBe(false);
  });

  it('turns 14 at midnight China time, not UTC', () => {
    const turning14 = residentId('20110601', '450103');
    const subject = (onDate: Date) => only([f('resident-id-number', 'resident-id', turning14)], ctx({ onDate }));
    expect(subject(new Date('2025-05-31T15:59:59Z')).sensitive).toBe(true); // 31 May 23:59:59 in China
    expect(subject(new Date('2025-05-31T16:00:00Z')).sensitive).toBe(false); // 1 June 00:00 in China
  });

  it('marks an anchor whose age is under 14 as sensitive', () => {
    expect(only([f('anchor-age', 'age', '12', 'anchor')]).sensitive).toBe(true);
    expect(only([f('anchor-age', 'age', '14', 'anchor')]).sensitive).toBe(false);
    expect(only([f('anchor-age', 'age', '', 'anchor')]).sensitive).toBe(false);
  });

  it('makes an adult resident ID sensitive under gbt35273 but not under gbt45574', () => {
    // The dictionary marks the resident ID number `sensitive: strict` (regs/national-rules.md).
    const fields = [{ ...f('resident-id-number', 'resident-id', ADULT_ID), sensitive: 'strict' as const }];
    expect(only(fields, ctx({ sensitivityProfile: 'gbt35273' })).sensitive).toBe(true);
    expect(only(fields, ctx({ sensitivityProfile: 'gbt45574' })).sensitive).toBe(false);
  });

  it('makes a phone-only subject sensitive under neither profile', () => {
    const fields = [f('shipper-contact', 'contact', '13800138000')];
    expect(only(fields, ctx({ sensitivityProfile: 'gbt35273' })).sensitive).toBe(false);
  });
});

describe('subjects are grouped by role and object path', () => {
  it('finds two subjects in one flat record: the shipper and the recipient', () => {
    const records = [{ shipperName: '张三', shipperPhone: '13800138000', buyerName: 'Tan Ah Kow', buyerPhone: '13912345678' }];
    const { subjects, dataItems, recordCount } = identify(classify({ records }, liveCommerce(), ON), ctx());
    expect(recordCount).toBe(1);
    expect(subjects).toHaveLength(2);
    expect(subjects.map((s) => s.dataItems)).toEqual([
      ['shipper-contact', 'shipper-name'],
      ['recipient-contact', 'recipient-name'],
    ]);
    expect(subjects.map((s) => s.key.equals(personKey(KEY, 'phone', '13800138000')))).toEqual([true, false]);
    expect(dataItems).toEqual(['recipient-contact', 'recipient-name', 'shipper-contact', 'shipper-name']);
  });

  it('finds one subject per nested person object', () => {
    const records = [{ shipper: { name: '张三', phone: '13800138000' }, anchor: { name: '李四', phone: '13912345678' } }];
    const { subjects } = identify(classify({ records }, liveCommerce(), ON), ctx());
    expect(subjects.map((s) => s.basis)).toEqual(['phone', 'phone']);
    expect(subjects.map((s) => s.dataItems)).toEqual([
      ['shipper-contact', 'shipper-name'],
      ['anchor-contact', 'anchor-name'],
    ]);
  });

  it('keys a resident ID found in a remark as its own person', () => {
    const id = residentId('19900315', '450103');
    const records = [{ shipperName: '张三', remark: `代收人身份证${id}` }];
    const { subjects } = identify(classify({ records }, liveCommerce(), ON), ctx());
    expect(subjects.map((s) => s.basis).sort()).toEqual(['resident-id', 'unlinkable']);
    const detected = subjects.find((s) => s.basis === 'resident-id');
    expect(detected?.key.equals(personKey(KEY, 'resident-id', id))).toBe(true);
  });

  it('lets no raw value past identify: subjects hold keys, bases, item ids and a flag only', () => {
    const records = [{ shipperName: '张三', shipperPhone: '13800138000', shipperAddress: '南宁市民族大道' }];
    const out = identify(classify({ records }, liveCommerce(), ON), ctx());
    const text = JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array || (v as { type?: string })?.type === 'Buffer' ? '<key>' : v));
    for (const raw of ['张三', '13800138000', '南宁']) expect(text).not.toContain(raw);
    for (const s of out.subjects) expect(Object.keys(s).sort()).toEqual(['basis', 'dataItems', 'key', 'sensitive']);
  });
});

describe('regression: an anchor age sent as a JSON number was dropped', () => {
  // classify/ used to walk JSON numbers only when ≥ 1e10 (phone and ID numbers), so `anchorAge: 12`
  // never reached identify/ and a child anchor was not marked sensitive (PIPL Art. 28).
  it('marks a 12-year-old anchor sensitive whether the age is "12" or 12', () => {
    const asString = identify(classify({ records: [{ anchorName: '小明', anchorAge: '12' }] }, liveCommerce(), ON), ctx());
    expect(asString.subjects.map((s) => s.sensitive)).toEqual([true]);
    const asNumber = identify(classify({ records: [{ anchorName: '小明', anchorAge: 12 }] }, liveCommerce(), ON), ctx());
    expect(asNumber.subjects.map((s) => s.sensitive)).toEqual([true]);
  });
});

describe('normalize', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['+8613800138000', '13800138000'],
    ['8613800138000', '13800138000'],
    ['0086 13800138000', '13800138000'],
    ['(138)00138000', '13800138000'],
    ['１３８００１３８０００', '13800138000'],
  ])('normalizePhone(%j) = %j', (raw, want) => {
    expect(normalizePhone(raw)).toBe(want);
  });

  it('upper-cases the ID check letter and folds width and separators', () => {
    expect(normalizeResidentId('11010519491231002x')).toBe('11010519491231002X');
    expect(normalizeResidentId('１１０１０５ １９４９１２３１ ００２ｘ')).toBe('11010519491231002X');
    expect(normalizeResidentId('110105-19491231-002X')).toBe('11010519491231002X');
  });

  it('lower-cases and trims e-mail addresses', () => {
    expect(normalizeEmail('  Zhang.San@Example.COM ')).toBe('zhang.san@example.com');
    expect(normalizeEmail('ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('zhang@example.com');
  });

  it('folds width, case and runs of spaces in free text', () => {
    expect(normalizeText('  ＺＨＡＮＧ   San ')).toBe('zhang san');
  });
});

describe('personKey', () => {
  it('is the first 16 bytes of HMAC-SHA256(key, basis ‖ 0 ‖ value)', () => {
    const want = createHmac('sha256', KEY).update('phone\u000013800138000').digest().subarray(0, 16);
    expect(personKey(KEY, 'phone', '13800138000').equals(want)).toBe(true);
    expect(personKey(KEY, 'phone', '13800138000')).toHaveLength(16);
  });

  it('separates bases: the same string as a phone and as an e-mail are two persons', () => {
    expect(personKey(KEY, 'phone', 'x').equals(personKey(KEY, 'email', 'x'))).toBe(false);
  });

  // Pinned: a change here changes every person key, so a year's counts would restart under the
  // same identity key (an under-count). Changing it needs a migration, not a test update.
  it('is stable across releases', () => {
    expect(personKey(KEY, 'phone', '13800138000').toString('hex')).toBe('04198a1a3c6eeaa8ea7d3f30dca835ca');
  });
});

describe('identifiers without a checksum, and sensitive data alone', () => {
  it('keys a passport above a phone, and an account number below an e-mail', () => {
    const passport = [f('passport-number', 'passport' as Kind, 'E1234 5678'), f('shipper-contact', 'contact', '13800138000')];
    expect(only(passport).basis).toBe('passport');
    const account = [f('bank-card-number', 'account' as Kind, '6222 0202 0000 1234 567'), f('shipper-contact', 'contact', 'a@example.com')];
    expect(only(account).basis).toBe('email');
    expect(only([f('bank-card-number', 'account' as Kind, '6222020200001234567')]).basis).toBe('account');
  });

  // Regression: a bank card number or a diagnosis with nothing else identifying was dropped, so
  // a person whose sensitive PI left was never counted.
  it('counts a subject that has only sensitive data, as a new person each time', () => {
    const card = [{ ...f('bank-card-number', 'account' as Kind, '6222020200001234567', undefined), sensitive: 'always' as const }];
    expect(only(card)).toMatchObject({ basis: 'account', sensitive: true });
    const diagnosis = [{ ...f('diagnosis', undefined, '2型糖尿病', undefined), sensitive: 'always' as const }];
    expect(only(diagnosis)).toMatchObject({ basis: 'unlinkable', sensitive: true });
  });

  it('makes no person of goods and order numbers alone', () => {
    const subjects = identify(transfer([f('goods-name', undefined, '六堡茶'), f('order-number', undefined, 'A-1')]), ctx());
    expect(subjects.subjects).toEqual([]);
  });
});
