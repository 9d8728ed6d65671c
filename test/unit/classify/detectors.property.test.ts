/**
 * Property tests of the value detectors (fast-check, bounded runs): generated valid resident IDs,
 * mobile numbers and bank card numbers, set in generated surrounding text, are always detected
 * with their normalized value; the same numbers with their check character or digit changed never
 * are. Check characters come from the tests' own implementations (support/policy.ts, checksums.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect } from '../../../agent/classify/detectors/index.js';
import { checkChar, withWrongCheck } from '../support/policy.js';
import { breakLast, withLuhn } from './checksums.js';

const ON = new Date('2025-06-01T00:00:00Z');
const RUNS = { numRuns: 300 };
const PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65];

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
/** Text around an identifier that cannot join it: no digits, letters, `+` or `-`. */
const surround = fc.array(fc.constantFrom('客户', '身份证', '电话', '：', ':', ' ', '，', '号码', '（', '）', '\n', '/', '备注', 'の'), { maxLength: 4 }).map((a) => a.join(''));

const residentIdArb = fc
  .record({
    province: fc.constantFrom(...PROVINCES),
    county: digits(4),
    birth: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-05-31T00:00:00Z'), noInvalidDate: true }),
    seq: digits(3),
  })
  .map(({ province, county, birth, seq }) => {
    const first17 = `${province}${county}${birth.toISOString().slice(0, 10).replace(/-/g, '')}${seq}`;
    return first17 + checkChar(first17);
  });

const mobileArb = fc.record({ second: fc.integer({ min: 3, max: 9 }), rest: digits(9), prefix: fc.constantFrom('', '+86', '+86 ', '0086', '86-'), sep: fc.constantFrom('', ' ', '-') }).map(({ second, rest, prefix, sep }) => {
  const plain = `1${second}${rest}`;
  return { plain, written: `${prefix}${plain.slice(0, 3)}${sep}${plain.slice(3, 7)}${sep}${plain.slice(7)}` };
});

/** UnionPay (62) cards of 16 or 19 digits: 18 digits could also be read as a resident ID. */
const cardArb = fc.record({ len: fc.constantFrom(16, 19), body: digits(17) }).map(({ len, body }) => withLuhn(`62${body}`.slice(0, len - 1)));

const found = (text: string, detector: string) => detect(text, ON).filter((d) => d.detector === detector && d.reason === undefined).map((d) => d.value);

describe('detectors (property)', () => {
  it('a valid resident ID in any surrounding text is detected', () => {
    fc.assert(
      fc.property(residentIdArb, surround, surround, (id, before, after) => {
        expect(found(`${before}${id}${after}`, 'resident-id')).toContain(id);
      }),
      RUNS,
    );
  });

  it('a resident ID with a changed check character never is', () => {
    fc.assert(
      fc.property(residentIdArb, surround, surround, (id, before, after) => {
        const wrong = withWrongCheck(id);
        expect(found(`${before}${wrong}${after}`, 'resident-id')).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a mobile number, however it is written, is detected as its 11 digits', () => {
    fc.assert(
      fc.property(mobileArb, surround, surround, ({ plain, written }, before, after) => {
        expect(found(`${before}${written}${after}`, 'mobile')).toContain(plain);
      }),
      RUNS,
    );
  });

  it('a Luhn-valid card number is detected; with its check digit changed it never is', () => {
    fc.assert(
      fc.property(cardArb, surround, surround, (card, before, after) => {
        expect(found(`${before}${card}${after}`, 'bank-card')).toContain(card);
        expect(found(`${before}${breakLast(card)}${after}`, 'bank-card')).toEqual([]);
      }),
      RUNS,
    );
  });
});
