/**
 * Value detectors: resident ID numbers (GB 11643-1999) and mainland mobile numbers, found in any
 * string. Check characters are computed here, by the test's own implementation of the standard.
 */
import { describe, expect, it } from 'vitest';
import { detect } from '../../../agent/classify/detectors/index.js';
import { findMobiles } from '../../../agent/classify/detectors/mobile.js';
import { birthDate, findResidentIds, isResidentId } from '../../../agent/classify/detectors/residentId.js';
import { checkChar, residentId, withWrongCheck } from '../support/policy.js';

const ON = new Date('2025-06-01T00:00:00Z');
/** The textbook example of GB 11643: Beijing Chaoyang, born 31 Dec 1949, check character X. */
const TEXTBOOK = '11010519491231002X';
const ADULT = residentId('19900315', '450103', '274'); // Nanning, born 15 Mar 1990

const fullWidth = (s: string): string => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('the test helper agrees with the standard', () => {
  it('computes X for the textbook number', () => {
    expect(checkChar(TEXTBOOK.slice(0, 17))).toBe('X');
  });
});

describe('isResidentId', () => {
  it('accepts the textbook number and a computed one', () => {
    expect(isResidentId(TEXTBOOK, ON)).toBe(true);
    expect(isResidentId(ADULT, ON)).toBe(true);
  });

  it('accepts a lower-case check letter', () => {
    expect(isResidentId(TEXTBOOK.toLowerCase(), ON)).toBe(true);
  });

  it('refuses a wrong check character', () => {
    expect(isResidentId(withWrongCheck(TEXTBOOK), ON)).toBe(false);
    expect(isResidentId(withWrongCheck(ADULT), ON)).toBe(false);
  });

  it('refuses a check-valid number whose birth date does not exist', () => {
    expect(isResidentId(residentId('19900230'), ON)).toBe(false); // 30 February
    expect(isResidentId(residentId('19901301'), ON)).toBe(false); // month 13
    expect(isResidentId(residentId('19000229'), ON)).toBe(false); // 1900 was not a leap year
    expect(isResidentId(residentId('20000229'), ON)).toBe(true); // 2000 was
  });

  it('refuses a birth date after the day of the transfer, but accepts one born that day', () => {
    expect(isResidentId(residentId('20250602'), ON)).toBe(false);
    expect(isResidentId(residentId('20300101'), ON)).toBe(false);
    expect(isResidentId(residentId('20250601'), ON)).toBe(true);
  });

  it('refuses births before 1900', () => {
    expect(isResidentId(residentId('18991231'), ON)).toBe(false);
    expect(isResidentId(residentId('19000101'), ON)).toBe(true);
  });

  it('refuses anything but 18 characters of digits and a final check character', () => {
    expect(isResidentId(TEXTBOOK.slice(0, 17), ON)).toBe(false);
    expect(isResidentId(`${TEXTBOOK}0`, ON)).toBe(false);
    expect(isResidentId(`X${TEXTBOOK.slice(1)}`, ON)).toBe(false);
  });
});

describe('birthDate', () => {
  it('reads the eight birth digits as a UTC date', () => {
    expect(birthDate(TEXTBOOK)?.toISOString()).toBe('1949-12-31T00:00:00.000Z');
    expect(birthDate(ADULT)?.toISOString()).toBe('1990-03-15T00:00:00.000Z');
  });

  it('is undefined for a date that does not exist', () => {
    expect(birthDate(residentId('19900230'))).toBeUndefined();
    expect(birthDate(residentId('19900001'))).toBeUndefined();
    expect(birthDate(residentId('19900100'))).toBeUndefined();
  });
});

describe('findResidentIds', () => {
  it('finds an ID inside Chinese free text', () => {
    expect(findResidentIds(`客户身份证号${ADULT}，请核对`, ON)).toEqual([ADULT]);
    expect(findResidentIds(`身份证：${TEXTBOOK}。`, ON)).toEqual([TEXTBOOK]);
  });

  it('finds every ID in a string, upper-casing the check letter', () => {
    expect(findResidentIds(`${TEXTBOOK.toLowerCase()} / ${ADULT}`, ON)).toEqual([TEXTBOOK, ADULT]);
  });

  it('does not take an ID out of a longer digit run (a parcel or order number)', () => {
    expect(findResidentIds(`9${ADULT}`, ON)).toEqual([]);
    expect(findResidentIds(`${ADULT}7`, ON)).toEqual([]);
    expect(findResidentIds(`运单号0${ADULT}00`, ON)).toEqual([]);
  });

  it('does not take an ID glued to letters either (a tracking number such as SF…)', () => {
    expect(findResidentIds(`SF${ADULT}`, ON)).toEqual([]);
    expect(findResidentIds(`${TEXTBOOK}abc`, ON)).toEqual([]);
  });

  it('skips candidates with a wrong check character or an impossible date', () => {
    expect(findResidentIds(`号码 ${withWrongCheck(ADULT)} 号码`, ON)).toEqual([]);
    expect(findResidentIds(`号码 ${residentId('19900230')} 号码`, ON)).toEqual([]);
    expect(findResidentIds(`号码 ${residentId('20300101')} 号码`, ON)).toEqual([]);
  });
});

describe('findMobiles', () => {
  it.each([
    ['plain', '13800138000'],
    ['+86', '+8613800138000'],
    ['+86 and a space', '+86 13800138000'],
    ['0086', '008613800138000'],
    ['0086 and a dash', '0086-13800138000'],
    ['grouped by spaces', '138 0013 8000'],
    ['grouped by dashes', '138-0013-8000'],
    ['+86 and groups', '+86 138-0013-8000'],
    ['inside Chinese text', '请联系13800138000谢谢'],
    ['after a label', 'tel:13800138000'],
  ])('finds a number written %s', (_how, text) => {
    expect(findMobiles(text)).toEqual(['13800138000']);
  });

  it('finds every number in a string', () => {
    expect(findMobiles('主号13800138000，备用 139-1234-5678')).toEqual(['13800138000', '13912345678']);
  });

  it('does not take 11 digits out of a 12-digit run', () => {
    expect(findMobiles('138001380001')).toEqual([]);
    expect(findMobiles('213800138000')).toEqual([]);
    expect(findMobiles('订单138001380001号')).toEqual([]);
  });

  it('refuses a second digit of 0, 1 or 2 (no mainland mobile starts so)', () => {
    expect(findMobiles('10012345678')).toEqual([]);
    expect(findMobiles('11012345678')).toEqual([]);
    expect(findMobiles('12012345678')).toEqual([]);
    expect(findMobiles('13012345678')).toEqual(['13012345678']);
    expect(findMobiles('19912345678')).toEqual(['19912345678']);
  });
});

describe('detect', () => {
  it('finds a resident ID written in full-width digits, as plain digits', () => {
    const wide = fullWidth(TEXTBOOK);
    expect(wide).not.toBe(TEXTBOOK);
    expect(detect(`身份证${wide}`, ON)).toEqual([{ detector: 'resident-id', value: TEXTBOOK }]);
  });

  it('finds a mobile written in full-width digits', () => {
    expect(detect('１３８００１３８０００', ON)).toEqual([{ detector: 'mobile', value: '13800138000' }]);
  });

  it('reports an ID as an ID only, not also as a phone number', () => {
    expect(detect(ADULT, ON)).toEqual([{ detector: 'resident-id', value: ADULT }]);
  });

  it('finds both kinds in one string', () => {
    expect(detect(`身份证${ADULT} 电话13912345678`, ON)).toEqual([
      { detector: 'resident-id', value: ADULT },
      { detector: 'mobile', value: '13912345678' },
    ]);
  });

  it('finds nothing in short strings or strings without digits', () => {
    expect(detect('1380013800', ON)).toEqual([]);
    expect(detect('没有任何数字的一段很长的备注文字内容', ON)).toEqual([]);
  });

  it('uses the transfer day to bound birth dates', () => {
    const bornTomorrow = residentId('20250602');
    expect(detect(bornTomorrow, ON)).toEqual([]);
    expect(detect(bornTomorrow, new Date('2025-06-02T00:00:00Z'))).toEqual([{ detector: 'resident-id', value: bornTomorrow }]);
  });
});
