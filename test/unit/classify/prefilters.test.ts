/**
 * The hot path's prefilters drop no hit (issue 10): the keyword screen in front of the indicator
 * regex (classify/keywords.ts) and the census gates in front of the landline, bank-card and mobile
 * regexes (detectors/index.ts). Each is checked against the regex or finder run unscreened, on
 * generated values that mix real keywords and identifiers with the noise that defeats naive gates
 * (full-width punctuation and digits, upper case, times with +08:00, separators, parentheses).
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../../agent/classify/index.js';
import { findBankCards } from '../../../agent/classify/detectors/bankCard.js';
import { detect } from '../../../agent/classify/detectors/index.js';
import { findLandlines } from '../../../agent/classify/detectors/landline.js';
import { findMobiles } from '../../../agent/classify/detectors/mobile.js';
import { SCREENED_NONE, keywordScreen, screenValue } from '../../../agent/classify/keywords.js';
import { NFKC_SENSITIVE } from '../../../agent/classify/fold.js';
import { compilePolicy } from '../../../agent/policy/compile.js';
import { indexIndicators, type IndicatorIndex } from '../../../agent/policy/indicators.js';
import { loadPacks } from '../../../agent/policy/load.js';
import type { Domain } from '../../../agent/policy/types.js';
import { PACKS_DIR } from '../support/policy.js';

const ON = new Date('2025-06-01T00:00:00Z');

/** A small deterministic generator (mulberry32): the same cases on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const policy = compilePolicy(loadPacks(PACKS_DIR));
const domain = policy.domains.get('guangxi-2025/live-commerce') as Domain;
const index: IndicatorIndex = indexIndicators([domain, ...(policy.everyTransfer.get('guangxi') ?? [])].filter((d) => d.indicatorRules.length > 0));
const keywords = [...index.keywords.keys()];

/** The indicators the unscreened regex finds in `value`, as classify found them before the screen. */
function keywordHits(value: string): string[] {
  const pattern = new RegExp(index.pattern as RegExp);
  const text = NFKC_SENSITIVE.test(value) ? value.normalize('NFKC').toLowerCase() : value.toLowerCase();
  const ids = new Set<string>();
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    for (const ref of index.keywords.get(m[0]) ?? []) ids.add(`${ref.domain}#${ref.indicator}`);
    pattern.lastIndex = m.index + 1;
  }
  return [...ids].sort();
}

const NOISE = ['广西南宁', '，', '：', '。', 'ABC', 'x', ' ', '１２', 'Ｐ', '（', '）', '数据', '订单', '2026-05-01T10:00:00+08:00', '发货人', '123'];

/** A keyword as a sender might write it: upper-cased ASCII, or with a full-width letter. */
function disguise(r: () => number, kw: string): string {
  const roll = r();
  if (roll < 0.3) return kw.toUpperCase();
  if (roll < 0.45) return kw.replace(/[a-z]/, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x61 + 0xff41));
  return kw;
}

describe('the keyword screen', () => {
  it('has keywords to screen (the Guangxi reference rules carry some)', () => {
    expect(keywords.length).toBeGreaterThan(50);
    expect(keywords.some((k) => /[a-z]/.test(k))).toBe(true);
  });

  it('lets through every value the indicator regex matches, and classify reports the same indicators', () => {
    const r = rng(10);
    const screen = keywordScreen(index);
    let withHits = 0;
    for (let i = 0; i < 3000; i++) {
      let value = '';
      const parts = 1 + Math.floor(r() * 5);
      for (let p = 0; p < parts; p++) value += r() < 0.3 ? disguise(r, pick(r, keywords)) : pick(r, NOISE);
      const want = keywordHits(value);
      if (want.length > 0) {
        withHits++;
        // A plain value that matches is never screened out (others are screened after normalizing).
        if (!NFKC_SENSITIVE.test(value)) expect(screenValue(screen, value), value).not.toBe(SCREENED_NONE);
      }
      const got = classify({ records: [{ note: value }] }, domain, ON, index)
        .indicators.filter((h) => h.via === 'keyword')
        .map((h) => `${h.domain}#${h.indicator}`)
        .sort();
      expect(got, value).toEqual(want);
    }
    expect(withHits).toBeGreaterThan(500);
  });

  it('screens out values holding no keyword', () => {
    const screen = keywordScreen(index);
    for (const v of ['GX202600000012', '13900000012', '2026-05-01T10:00:00+08:00', '广西六堡茶礼盒装']) {
      expect(keywordHits(v), v).toEqual([]);
      expect(screenValue(screen, v), v).toBe(SCREENED_NONE);
    }
  });
});

describe('the detector gates', () => {
  const PIECES = ['0771', '-', ' ', '(', ')', '（', '）', '+86', '0086', '13', '139', '8', '12345678', '2345678', '6222', '0212', '3456', '7890', '123', '０', '１', 'T10:00:00+08:00', 'tel', '电话', '卡号', 'a', '.', '010', '1'];

  // Whole identifiers in the forms the finders take (the Luhn-valid 6222021234567890128 among them).
  const SHAPED = ['0771-2345678', '(0771)2345678', '（010）12345678', '+86 771 2345678', '008610-12345678', '07712345678', '6222 0212 3456 7890 128', '6222-0212-3456-7890-128', '6222021234567890128', '13912345678', '139-1234-5678', '+8613912345678', '１３９１２３４５６７８'];

  it('never drop a landline, bank card or mobile the finder sees in the (NFKC) text', () => {
    const r = rng(20);
    const only = { has: () => true };
    let found = 0;
    for (let i = 0; i < 20000; i++) {
      let value = '';
      const parts = 2 + Math.floor(r() * 9);
      for (let p = 0; p < parts; p++) value += r() < 0.15 ? pick(r, SHAPED) : pick(r, PIECES);
      const key = r() < 0.5 ? 'phone' : 'remark';
      const text = value.normalize('NFKC');
      const want = [
        ...findLandlines(text, () => key).map((v) => `landline ${v}`),
        ...findBankCards(text, () => key, ON).map((h) => `bank-card ${h.value}`),
        ...(text.length >= 6 ? findMobiles(text).map((v) => `mobile ${v}`) : []),
      ];
      if (value.length < 6) continue;
      found += want.length;
      const got = new Set(detect(value, ON, { only }, key).map((d) => `${d.detector} ${d.value}`));
      for (const w of want) expect(got.has(w), `${w} in ${JSON.stringify(value)}`).toBe(true);
    }
    expect(found).toBeGreaterThan(3000);
  });
});
