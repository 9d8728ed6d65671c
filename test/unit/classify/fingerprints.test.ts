/**
 * Exact-data-match fingerprints (issue 4): the compact filter never forgets a key and errs at about
 * its design rate; values are normalized before keying; classify reports a registered value in any
 * field, and never a near miss or a filter false positive.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildFingerprintIndex, fingerprintKey, KeyFilter, matchesFingerprint, normalizeFingerprintValue } from '../../../agent/classify/fingerprints.js';
import { classify } from '../../../agent/classify/index.js';
import { liveCommerce } from '../support/policy.js';

const KEY = Buffer.alloc(32, 7);
const index = (values: string[], confirm?: (k: Buffer) => boolean) => {
  const stored = values.map((v) => normalizeFingerprintValue(v)).map((n) => ({ key: fingerprintKey(KEY, n), length: n.length }));
  const built = buildFingerprintIndex(KEY, stored, confirm);
  if (!built) throw new Error('no index');
  return built;
};

describe('KeyFilter', () => {
  it('has no false negatives over 100,000 random keys', () => {
    const keys = Array.from({ length: 100_000 }, () => randomBytes(16));
    const f = new KeyFilter(keys.length);
    for (const k of keys) f.add(k);
    expect(keys.every((k) => f.has(k))).toBe(true);
  });

  it('errs near its design rate (10 bits a key rounded up to a power of two, 7 probes: under 1%)', () => {
    const f = new KeyFilter(100_000);
    for (let i = 0; i < 100_000; i++) f.add(randomBytes(16));
    let fp = 0;
    const trials = 200_000;
    for (let i = 0; i < trials; i++) if (f.has(randomBytes(16))) fp++;
    // m = 2^20 bits for 100k keys (10.5 bits a key): theory (1 - e^(-7n/m))^7 ≈ 0.63%.
    const rate = fp / trials;
    expect(rate).toBeGreaterThan(0.003);
    expect(rate).toBeLessThan(0.012);
  });

  it('sizes to a power of two, at least 64 bits', () => {
    expect(new KeyFilter(1).sizeBits).toBe(64);
    expect(new KeyFilter(1000).sizeBits).toBe(16384);
  });
});

describe('normalizeFingerprintValue', () => {
  it.each([
    ['  钛合金  配方 A-7 ', '钛合金 配方 A-7'],
    ['ＡＢＣ１２３', 'ABC123'], // full-width folds (NFKC)
    ['a\t\n b', 'a b'],
    ['㈱', '(株)'],
    ['e\u0301', 'é'],
  ])('%j → %j', (raw, normalized) => expect(normalizeFingerprintValue(raw)).toBe(normalized));

  it('keys the normalized form, so spacing and width variants match the same key', () => {
    expect(fingerprintKey(KEY, normalizeFingerprintValue(' ＡＢＣ  1 '))).toEqual(fingerprintKey(KEY, normalizeFingerprintValue('ABC 1')));
  });
});

describe('matchesFingerprint', () => {
  const idx = index(['GX-矿区-0042 储量 3.2 亿吨', 'SEC-ALPHA-2291']);

  it('matches registered values however they are spaced or widened', () => {
    expect(matchesFingerprint(idx, 'SEC-ALPHA-2291')).toBe(true);
    expect(matchesFingerprint(idx, '  ＳＥＣ－ＡＬＰＨＡ－２２９１ ')).toBe(true);
    expect(matchesFingerprint(idx, 'GX-矿区-0042  储量 3.2 亿吨')).toBe(true);
  });

  it('refuses a near miss, a value of another length and an empty string', () => {
    expect(matchesFingerprint(idx, 'SEC-ALPHA-2292')).toBe(false);
    expect(matchesFingerprint(idx, 'SEC')).toBe(false);
    expect(matchesFingerprint(idx, 'x'.repeat(200))).toBe(false);
    expect(matchesFingerprint(idx, '')).toBe(false);
  });

  it('never fires on a filter hit the exact lookup denies', () => {
    const denied = index(['SEC-ALPHA-2291'], () => false);
    expect(matchesFingerprint(denied, 'SEC-ALPHA-2291')).toBe(false);
  });

  it('skips the HMAC for values outside the registered lengths', () => {
    let keyed = 0;
    const base = index(['SEC-ALPHA-2291']);
    const counting = { ...base, keyOf: (n: string) => (keyed++, base.keyOf(n)) };
    for (const v of ['short', 'a much longer value than any registered one', '广西六堡茶礼盒装', '13912345678']) matchesFingerprint(counting, v);
    expect(keyed).toBe(0);
  });

  it('is empty when nothing is registered', () => {
    expect(buildFingerprintIndex(KEY, [])).toBeUndefined();
  });
});

describe('classify with fingerprints', () => {
  const fingerprints = index(['SEC-ALPHA-2291', '20260042']);
  const indicators = { fields: new Map(), keywords: new Map(), pattern: undefined, volumes: [], fingerprints };
  const run = (records: unknown[]) => classify({ records }, liveCommerce(), new Date('2026-05-01T00:00:00Z'), indicators).indicators;

  it('reports a registered value in any field, nested or as a number, once', () => {
    expect(run([{ a: { b: ['x', 'SEC-ALPHA-2291'] } }, { note: 'SEC-ALPHA-2291' }])).toEqual([
      { domain: 'cn-national/national', indicator: 'registered-important-data', via: 'fingerprint' },
    ]);
    expect(run([{ batch: 20260042 }])).toHaveLength(1);
  });

  it('reports nothing for a near miss', () => {
    expect(run([{ note: 'SEC-ALPHA-2290', batch: 20260043 }])).toEqual([]);
  });
});
