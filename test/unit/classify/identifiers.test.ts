/**
 * Value detectors of issue 4: for each, values it must take, values with a bad checksum or shape,
 * and look-alikes (order and parcel numbers, versions, timestamps, prices) it must leave alone.
 * Check digits are computed by the tests' own implementations (checksums.ts).
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT_LABELS, findBankAccounts, findBankCards, luhn, plausibleIssuer } from '../../../agent/classify/detectors/bankCard.js';
import { LABEL_WINDOW, labelBefore } from '../../../agent/classify/detectors/context.js';
import { findEmails } from '../../../agent/classify/detectors/email.js';
import { detect } from '../../../agent/classify/detectors/index.js';
import { findIpv4, findIpv6, parseIpv6 } from '../../../agent/classify/detectors/ip.js';
import { findLandlines } from '../../../agent/classify/detectors/landline.js';
import { findPlates } from '../../../agent/classify/detectors/plate.js';
import { isResidentId, plausibleRegion } from '../../../agent/classify/detectors/residentId.js';
import { findTravelDocuments } from '../../../agent/classify/detectors/travelDocument.js';
import { findUscc, isUscc } from '../../../agent/classify/detectors/uscc.js';
import { residentId } from '../support/policy.js';
import { breakLast, withLuhn, withUsccCheck, wrongUsccCheck } from './checksums.js';

const ON = new Date('2025-06-01T00:00:00Z');
const UNIONPAY = withLuhn('622202123456789'); // 16 digits
const UNIONPAY_19 = withLuhn('621700123456789012'); // 19 digits
const VISA = '4111111111111111'; // the schemes' published test number

describe('the test helpers agree with the standards', () => {
  it('computes Luhn check digits that the published test numbers carry', () => {
    expect(withLuhn(VISA.slice(0, -1))).toBe(VISA);
    expect(withLuhn('7992739871')).toBe('79927398713'); // ISO/IEC 7812 textbook example
  });
});

describe('bank cards (16–19 digits, Luhn, issuer prefix)', () => {
  const cards = (text: string, key?: string) => findBankCards(text, key, ON).map((h) => h.value);

  it.each([
    ['a UnionPay card', UNIONPAY],
    ['a 19-digit card', UNIONPAY_19],
    ['a Visa test card', VISA],
  ])('takes %s', (_what, n) => {
    expect(luhn(n)).toBe(true);
    expect(cards(n)).toEqual([n]);
    expect(cards(`退款至${n}，请查收`)).toEqual([n]);
  });

  it('takes a card written in groups of four, as plain digits', () => {
    expect(cards('6222 0212 3456 7894'.replace('7894', UNIONPAY.slice(12)))).toEqual([UNIONPAY]);
    expect(cards(`${VISA.slice(0, 4)}-${VISA.slice(4, 8)}-${VISA.slice(8, 12)}-${VISA.slice(12)}`)).toEqual([VISA]);
    expect(cards(`${UNIONPAY_19.slice(0, 4)} ${UNIONPAY_19.slice(4, 8)} ${UNIONPAY_19.slice(8, 12)} ${UNIONPAY_19.slice(12, 16)} ${UNIONPAY_19.slice(16)}`)).toEqual([UNIONPAY_19]);
  });

  it('refuses a wrong check digit', () => {
    expect(cards(breakLast(UNIONPAY))).toEqual([]);
    expect(cards(breakLast(VISA))).toEqual([]);
  });

  it('refuses 15 and 20 digits', () => {
    expect(cards(withLuhn('62220212345678'))).toEqual([]);
    expect(cards(withLuhn('6222021234567890123'))).toEqual([]);
  });

  it('does not take a card out of a longer digit run or a tracking number', () => {
    expect(cards(`9${UNIONPAY}`)).toEqual([]);
    expect(cards(`${UNIONPAY}0`)).toEqual([]);
    expect(cards(`SF${UNIONPAY}`)).toEqual([]);
    expect(cards(`${UNIONPAY.slice(0, 4)} ${UNIONPAY.slice(4, 8)} ${UNIONPAY.slice(8, 12)} ${UNIONPAY.slice(12)} 1234`)).toEqual([]);
  });

  it('leaves Luhn-valid numbers no card issuer uses: order numbers, nanosecond timestamps, SIM ICCIDs', () => {
    for (const n of [withLuhn('123456789012345678'), withLuhn('171717171717171717'), withLuhn('898600123456789012'), withLuhn('702345678901234')]) {
      expect(luhn(n)).toBe(true);
      expect(plausibleIssuer(n), n).toBe(false);
      expect(cards(n), n).toEqual([]);
    }
  });

  it('takes any Luhn-valid number under a card label', () => {
    const n = withLuhn('123456789012345');
    expect(cards(`卡号：${n}`)).toEqual([n]);
    expect(cards(n, 'refundCard')).toEqual([n]);
  });

  it('does not let a SIM or membership card label vouch for a number no bank issues', () => {
    const iccid = withLuhn('898600123456789012');
    expect(cards(`SIM卡号 ${iccid}`)).toEqual([]);
    expect(cards(`会员卡号 ${withLuhn('123456789012345')}`)).toEqual([]);
  });

  it('marks a card-shaped number under an order label as order context', () => {
    expect(findBankCards(`订单号 ${UNIONPAY}`, undefined, ON)).toEqual([{ value: UNIONPAY, orderContext: true }]);
    expect(findBankCards(UNIONPAY, 'orderNo', ON)).toEqual([{ value: UNIONPAY, orderContext: true }]);
    expect(findBankCards(UNIONPAY, 'remark', ON)).toEqual([{ value: UNIONPAY, orderContext: false }]);
  });

  it('does not read a resident ID that happens to pass Luhn as a card', () => {
    let id = '';
    for (let seq = 100; seq < 1000 && !id; seq++) {
      const candidate = residentId('19900315', '450103', String(seq));
      if (!candidate.endsWith('X') && withLuhn(candidate.slice(0, 17)) === candidate) id = candidate;
    }
    expect(isResidentId(id, ON)).toBe(true);
    expect(luhn(id)).toBe(true);
    expect(cards(id)).toEqual([]);
    expect(detect(id, ON)).toEqual([{ detector: 'resident-id', value: id }]);
  });
});

describe('bank account numbers (10–30 digits, label context only)', () => {
  const accounts = (text: string, key?: string) => findBankAccounts(text, key, ON);

  it('takes a labelled run of digits', () => {
    expect(accounts('账号 1234567890')).toEqual(['1234567890']);
    expect(accounts('收款账户：1234 5678 9012 3456 789')).toEqual(['1234567890123456789']);
    expect(accounts('Account No. 0123456789012345678901234')).toEqual(['0123456789012345678901234']);
  });

  it('takes a run in a field whose name says account', () => {
    expect(accounts('123456789012', 'payeeAccount')).toEqual(['123456789012']);
    expect(accounts('123456789012', '收款账号')).toEqual(['123456789012']);
  });

  it('leaves the same digits without a label: timestamps, order numbers', () => {
    expect(accounts('1234567890')).toEqual([]);
    expect(accounts('1717171717171')).toEqual([]);
    expect(accounts('123456789012', 'orderNo')).toEqual([]);
  });

  it('leaves a label too far before the value', () => {
    expect(accounts(`账号${'，'.repeat(LABEL_WINDOW + 1)}1234567890`)).toEqual([]);
    expect(accounts(`账号${'，'.repeat(LABEL_WINDOW)}1234567890`)).toEqual(['1234567890']);
    expect(labelBefore('account: 1', 9, ACCOUNT_LABELS)).toBe(true);
  });

  it('leaves login accounts (QQ账号, 用户账号)', () => {
    expect(accounts('QQ账号 1234567890')).toEqual([]);
    expect(accounts('用户账号：1234567890')).toEqual([]);
    expect(accounts('1234567890', 'userAccount')).toEqual([]);
  });

  it('refuses 9 and 31 digits', () => {
    expect(accounts('账号 123456789')).toEqual([]);
    expect(accounts(`账号 ${'1'.repeat(31)}`)).toEqual([]);
  });

  it('leaves a card to the card detector', () => {
    expect(accounts(`账号 ${UNIONPAY}`)).toEqual([]);
    expect(accounts(`账号 ${breakLast(UNIONPAY)}`)).toEqual([breakLast(UNIONPAY)]);
  });
});

describe('landline numbers', () => {
  it.each([
    ['010-62345678', '010-62345678'],
    ['0771-2345678', '0771-2345678'],
    ['0771 23456789', '0771-23456789'],
    ['(0771)2345678', '0771-2345678'],
    ['（010）62345678', '010-62345678'],
    ['+86 10 62345678', '010-62345678'],
    ['0086-771-2345678', '0771-2345678'],
    ['联系电话：0771-2345678转801', '0771-2345678'],
  ])('takes %s', (text, value) => {
    expect(findLandlines(text)).toEqual([value]);
  });

  it('takes a bare run only with a label before it or in the field name', () => {
    expect(findLandlines('07712345678')).toEqual([]);
    expect(findLandlines('座机 07712345678')).toEqual(['0771-2345678']);
    expect(findLandlines('01062345678', 'officeTel')).toEqual(['010-62345678']);
  });

  it('refuses local numbers starting 0 or 1, and 7-digit local numbers in two-digit areas', () => {
    expect(findLandlines('010-12345678')).toEqual([]);
    expect(findLandlines('0771-0234567')).toEqual([]);
    expect(findLandlines('010-6234567')).toEqual([]);
  });

  it('leaves dates, times, mobiles and parcel numbers', () => {
    for (const s of ['2024-06-01', '08:00-18:00', '138-0013-8000', '+86 138 0013 8000', '0755123456789012', '运单 075512345678', 'SF0771-2345678']) expect(findLandlines(s), s).toEqual([]);
  });
});

describe('passports and travel permits (no checksum: label context)', () => {
  it.each([
    ['护照号 E12345678', 'passport', 'E12345678'],
    ['Passport No.: EA1234567', 'passport', 'EA1234567'],
    ['护照：G12345678', 'passport', 'G12345678'],
    ['护照 K12345678', 'passport', 'K12345678'],
    ['passport MA1234567', 'passport', 'MA1234567'],
    ['passport DE1234567', 'passport', 'DE1234567'],
    ['HKSAR passport H12345678', 'passport', 'H12345678'],
    ['回乡证 H1234567801', 'travel-permit', 'H1234567801'],
    ['回乡证号：M12345678', 'travel-permit', 'M12345678'],
    ['港澳通行证 C12345678', 'travel-permit', 'C12345678'],
    ['往来港澳通行证 CA1234567', 'travel-permit', 'CA1234567'],
    ['台湾通行证 L12345678', 'travel-permit', 'L12345678'],
    ['护照号 e12345678', 'passport', 'E12345678'],
  ])('takes %s as a labelled %s', (text, detector, value) => {
    expect(findTravelDocuments(text)).toEqual([{ detector, value, labelled: true }]);
  });

  it('takes a field name as the label', () => {
    expect(findTravelDocuments('E12345678', 'passportNo')).toEqual([{ detector: 'passport', value: 'E12345678', labelled: true }]);
    expect(findTravelDocuments('C12345678', 'permit_no')).toEqual([{ detector: 'travel-permit', value: 'C12345678', labelled: true }]);
  });

  it('reports an unlabelled one as unlabelled (a finding, never counted)', () => {
    expect(findTravelDocuments('E12345678')).toEqual([{ detector: 'passport', value: 'E12345678', labelled: false }]);
    expect(findTravelDocuments(`护照${'很'.repeat(LABEL_WINDOW + 1)}E12345678`)).toEqual([{ detector: 'passport', value: 'E12345678', labelled: false }]);
    expect(detect('E12345678', ON)).toEqual([{ detector: 'passport', value: 'E12345678', reason: 'no-label' }]);
  });

  it('refuses other shapes', () => {
    for (const s of ['护照 E1234567', '护照 E123456789', '护照 EI1234567', '护照 EO1234567', '护照 XE12345678', '护照 E12345678X', '护照 Z12345678', '护照 e12345678@qq.com'])
      expect(findTravelDocuments(s), s).toEqual([]);
  });

  it('reads an order number shaped like a passport as unlabelled only', () => {
    expect(detect('订单 E20240601', ON)).toEqual([{ detector: 'passport', value: 'E20240601', reason: 'no-label' }]);
  });
});

describe('unified social credit codes (GB 32100, MOD 31)', () => {
  const INDIVIDUAL = withUsccCheck('92450103MA5K1234X');
  const COMPANY = withUsccCheck('91450100MA5K12345');

  it('accepts codes with the right check character', () => {
    expect(isUscc(INDIVIDUAL)).toBe(true);
    expect(isUscc(COMPANY)).toBe(true);
    expect(findUscc(`统一社会信用代码：${INDIVIDUAL}；${COMPANY}`)).toEqual([
      { value: INDIVIDUAL, individual: true },
      { value: COMPANY, individual: false },
    ]);
  });

  it('refuses a wrong check character, letters outside the set, lower case', () => {
    expect(isUscc(wrongUsccCheck(INDIVIDUAL))).toBe(false);
    expect(findUscc(wrongUsccCheck(COMPANY))).toEqual([]);
    for (const bad of ['I', 'O', 'Z', 'S', 'V']) expect(isUscc(`${COMPANY.slice(0, 10)}${bad}${COMPANY.slice(11)}`), bad).toBe(false);
    expect(findUscc(INDIVIDUAL.toLowerCase())).toEqual([]);
  });

  it('leaves order codes of the same length', () => {
    expect(findUscc('SO2024060112345678')).toEqual([]);
    expect(findUscc(`X${COMPANY}`)).toEqual([]);
  });

  it('detects only type 92, and only as waiting for the operator’s name', () => {
    expect(detect(INDIVIDUAL, ON)).toEqual([{ detector: 'uscc-92', value: INDIVIDUAL, reason: 'no-operator-name' }]);
    expect(detect(COMPANY, ON)).toEqual([]);
  });
});

describe('licence plates', () => {
  it.each([
    ['粤B12345', '粤B12345'],
    ['车牌粤B·12345', '粤B12345'],
    ['京A 12345', '京A12345'],
    ['沪AF0236', '沪AF0236'],
    ['粤BD12345', '粤BD12345'],
    ['粤B12345D', '粤B12345D'],
    ['桂A1234学', '桂A1234学'],
    ['粤b12345', '粤B12345'],
  ])('takes %s', (text, value) => {
    expect(findPlates(text)).toEqual([value]);
  });

  it('refuses the wrong office letter, length or too few digits', () => {
    for (const s of ['粤I12345', '粤O12345', '粤B1234', '粤B123456', '粤BABCD1', '港A12345', '粤B12345678']) expect(findPlates(s), s).toEqual([]);
  });

  it('leaves brand and model names', () => {
    for (const s of ['京东12345', '型号ABC12345', '新款A-B']) expect(findPlates(s), s).toEqual([]);
  });
});

describe('e-mail addresses', () => {
  it.each([
    ['zhangsan@example.com', 'zhangsan@example.com'],
    ['13800138000@163.com', '13800138000@163.com'],
    ['Zhang.San+tag@Mail.Example.CN.', 'zhang.san+tag@mail.example.cn'],
    ['邮箱abc_d@qq.com谢谢', 'abc_d@qq.com'],
    ['a@b.cn', 'a@b.cn'],
    ['x@xn--fiqs8s.cn', 'x@xn--fiqs8s.cn'],
  ])('takes %s', (text, value) => {
    expect(findEmails(text)).toEqual([value]);
  });

  it('takes an address written with a full-width ＠ and letters', () => {
    expect(detect('邮箱：ｚｓ＠ｑｑ．ｃｏｍ', ON)).toEqual([{ detector: 'email', value: 'zs@qq.com' }]);
  });

  it('refuses what is no address', () => {
    for (const s of ['@zhangsan', 'user@localhost', 'pkg@1.2.3', 'icon@2x.png', 'a..b@example.com', 'a.@example.com', 'a@-example.com', 'a@example.c', `${'x'.repeat(65)}@example.com`, 'a@@example.com'])
      expect(findEmails(s), s).toEqual([]);
  });
});

describe('IP addresses', () => {
  it('takes public IPv4 addresses', () => {
    expect(findIpv4('61.139.2.69')).toEqual(['61.139.2.69']);
    expect(findIpv4('login from 183.60.1.2:8080')).toEqual(['183.60.1.2']);
    expect(findIpv4('server 61.139.2.69')).toEqual(['61.139.2.69']);
  });

  it('refuses octets above 255 and other part counts', () => {
    for (const s of ['256.1.2.3', '61.139.2', '61.139.2.69.5', 'x61.139.2.69']) expect(findIpv4(s), s).toEqual([]);
  });

  it('leaves version strings and section numbers', () => {
    for (const s of ['v61.139.2.69', 'v 61.139.2.69', 'version 61.139.2.69', 'ver. 61.139.2.69', '版本 61.139.2.69', '3.1.2.4', '1.2.3.4']) expect(findIpv4(s), s).toEqual([]);
  });

  it('leaves addresses that point at no subscriber', () => {
    for (const s of ['10.0.0.1', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.10.20', '100.64.1.1', '192.0.2.10', '224.0.0.251', '255.255.255.255', '0.0.0.0'])
      expect(findIpv4(s), s).toEqual([]);
  });

  it('takes global-unicast IPv6 addresses in the usual forms', () => {
    expect(findIpv6('240e:3a1:4c7:1::1')).toEqual(['240e:3a1:4c7:1::1']);
    expect(findIpv6('[2408:8000:1010:1::8]:443')).toEqual(['2408:8000:1010:1::8']);
    expect(findIpv6('2409:8A00:0000:0000:0000:0000:0000:0001')).toEqual(['2409:8a00:0000:0000:0000:0000:0000:0001']);
    expect(parseIpv6('::ffff:61.139.2.69')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x3d8b, 0x0245]);
  });

  it('leaves link-local, loopback, documentation, times and MAC addresses', () => {
    for (const s of ['fe80::1', '::1', '::', 'fd00::1', 'ff02::1', '2001:db8::1', '12:30:45', '2025-06-01T12:30:45Z', '00:1a:2b:3c:4d:5e', '240e::1::2', '240e:1:2:3:4:5:6:7:8'])
      expect(findIpv6(s), s).toEqual([]);
  });

  it('reads an IPv4-mapped address as its IPv4 address', () => {
    expect(detect('::ffff:61.139.2.69', ON)).toEqual([{ detector: 'ip-address', value: '61.139.2.69' }]);
  });
});

describe('resident IDs: a plausible region', () => {
  it('accepts province codes and the residence permits’ 81–83', () => {
    for (const r of ['110105', '450103', '650102', '810000', '830000']) expect(isResidentId(residentId('19900315', r), ON), r).toBe(true);
  });

  it('accepts a foreign permanent resident’s ID: 9, then the issuing province', () => {
    expect(plausibleRegion('911156')).toBe(true);
    expect(isResidentId(residentId('19900315', '911156'), ON)).toBe(true);
  });

  it('refuses check-valid numbers with no such province', () => {
    for (const r of ['190105', '240105', '990105', '701234', '901156']) expect(isResidentId(residentId('19900315', r), ON), r).toBe(false);
  });
});

describe('detect', () => {
  it('runs only the detectors the route maps to a data item', () => {
    expect(detect(VISA, ON, { only: new Set(['mobile'] as const) })).toEqual([]);
    expect(detect(VISA, ON, { only: new Set(['bank-card'] as const) })).toEqual([{ detector: 'bank-card', value: VISA }]);
  });

  it('reads the field name as label context', () => {
    expect(detect('E12345678', ON, {}, 'passportNo')).toEqual([{ detector: 'passport', value: 'E12345678' }]);
    expect(detect('1234567890123', ON, {}, 'payeeAccount')).toEqual([{ detector: 'bank-account', value: '1234567890123' }]);
  });

  it('finds several kinds in one remark, each once', () => {
    const remark = `收件人护照 E12345678，电话 0771-2345678，邮箱 a@qq.com，车牌桂A12345，卡号 ${UNIONPAY}`;
    expect(detect(remark, ON).map((d) => d.detector).sort()).toEqual(['bank-card', 'email', 'landline', 'licence-plate', 'passport']);
  });
});
