/**
 * Adversarial input: every detector is linear, so a megabyte of digits, `@`, dots, colons, label
 * words or near-misses classifies and comes back with the right (empty) answer. No timing
 * assertions: a quadratic detector would not finish within the test timeout.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { detect } from '../../../agent/classify/detectors/index.js';
import { classify } from '../../../agent/classify/index.js';
import { liveCommerce } from '../support/policy.js';

const ON = new Date('2025-06-01T00:00:00Z');
const MB = 1 << 20;
/** `unit` repeated to about a megabyte. */
const mb = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length));

describe('a megabyte of hostile text classifies, and finds nothing', () => {
  beforeAll(() => {
    liveCommerce(); // compile the packs outside the cases
  });

  it.each([
    ['digits', mb('1')],
    ['zeros', mb('0')],
    ['@ characters', mb('@')],
    ['a@ pairs', mb('a@')],
    ['a local part with no @', mb('a')],
    ['dotted digits', mb('1.')],
    ['colons', mb(':')],
    ['hex and colons', mb('a:')],
    ['digits and spaces', mb('1 ')],
    ['digits and dashes', mb('1-')],
    ['a decimal, then spaces', `1.12345${' '.repeat(MB)}x`],
    ['account labels, no number', mb('账号')],
    ['passport labels', mb('护照 ')],
    ['near-miss plates', mb('粤B1234')],
    ['near-miss e-mails', mb('a.b-c@')],
    ['near-miss IPv4', mb('1.1.1.')],
    ['near-miss coordinates', mb('22.8, ')],
    ['near-miss landlines', mb('0771-')],
    ['near-miss card groups', mb('6222 ')],
    ['brackets and area codes', mb('(0771)')],
    ['full-width digits', mb('１')],
    ['province and digit', mb('粤1')],
    ['upper-case letters and digits', mb('A1')],
  ])('%s', (_what, text) => {
    const c = classify({ records: [{ remark: text }] }, liveCommerce(), ON);
    expect(c.records[0]?.fields).toEqual([]);
    expect(c.findings).toEqual([]);
  });

  it('a megabyte of one long digit run behind an account label is no account (over 30 digits)', () => {
    expect(detect(`账号${'1'.repeat(MB)}`, ON)).toEqual([]);
  });

  it('a megabyte of passport-shaped tokens gives one finding, counting them', () => {
    const tokens = Math.floor(MB / 10);
    const c = classify({ records: [{ remark: 'E12345678 '.repeat(tokens) }] }, liveCommerce(), ON);
    expect(c.records[0]?.fields).toEqual([]);
    expect(c.findings).toEqual([expect.objectContaining({ detector: 'passport', occurrences: tokens })]);
  });

  it('a long hostile field name is normalized once per value, not once per candidate', () => {
    const key = `passport${'x'.repeat(100_000)}`;
    const c = classify({ records: [{ [key]: 'E12345678 '.repeat(10_000) }] }, liveCommerce(), ON);
    expect(c.records[0]?.fields).toHaveLength(10_000);
  });

  it('an object with tens of thousands of coordinate-named fields pairs them in linear time', () => {
    const record: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      record[`p${i}Lat`] = 22.81712;
      record[`p${i}Lng`] = 108.36654;
    }
    const c = classify({ records: [record] }, liveCommerce(), ON);
    expect(c.records[0]?.fields).toHaveLength(20_000);
  });
});
