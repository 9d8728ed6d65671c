/**
 * A screen in front of the important-data keyword regex (policy/indicators.ts builds one
 * alternation of a few hundred keywords; run on every string value it was the classifier's
 * biggest frame). Every keyword starts with a pair of UTF-16 code units (or is one unit long), so a
 * value in which no adjacent pair is some keyword's first pair holds no keyword: the screen sets a
 * bit per keyword's first pair (hashed into a bit table; a collision only sends a value on to the
 * regex) and one pass over the value tests them. The pass lower-cases A–Z as the keyword text is
 * lower-case; a value with anything NFKC could change (outside ASCII and U+4E00–9FFF, fold.ts)
 * is normalized and lower-cased as the regex path does, and the screen runs on that text. The screen never drops a match:
 * a value it passes is matched exactly as before.
 */
import type { IndicatorIndex } from '../policy/indicators.js';

const TABLE_BITS = 20;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

export interface KeywordScreen {
  /**
   * Per UTF-16 code unit: START if some keyword starts with it (A–Z marked as their lower case),
   * WHOLE if it is a keyword by itself, FOLD where NFKC may change it (outside ASCII and
   * U+4E00–9FFF, fold.ts), else 0. One table load per character decides the common case.
   */
  readonly kinds: Uint8Array;
  /** Bit per hashed first pair of a keyword. */
  readonly pairs: Uint32Array;
}

const START = 1;
const WHOLE = 2;
const FOLD = 4;

const screens = new WeakMap<IndicatorIndex, KeywordScreen>();

const pairHash = (a: number, b: number): number => (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> (32 - TABLE_BITS);

/** The screen of an index's keywords, built once per index (per snapshot). */
export function keywordScreen(index: IndicatorIndex): KeywordScreen {
  let s = screens.get(index);
  if (s) return s;
  const kinds = new Uint8Array(65536);
  for (let c = 0x80; c < 65536; c++) if (c < 0x4e00 || c > 0x9fff) kinds[c] = FOLD;
  const pairs = new Uint32Array((TABLE_MASK + 1) / 32);
  const mark = (c: number, kind: number) => {
    kinds[c] = (kinds[c] as number) | kind;
    // An upper-case ASCII letter is its lower case to the regex (the value is lower-cased first).
    if (c >= 97 && c <= 122) kinds[c - 32] = (kinds[c - 32] as number) | kind;
  };
  for (const kw of index.keywords.keys()) {
    if (kw.length === 0) continue;
    if (kw.length === 1) {
      mark(kw.charCodeAt(0), WHOLE);
      continue;
    }
    mark(kw.charCodeAt(0), START);
    const h = pairHash(kw.charCodeAt(0), kw.charCodeAt(1));
    pairs[h >>> 5] = (pairs[h >>> 5] as number) | (1 << (h & 31));
  }
  screens.set(index, (s = { kinds, pairs }));
  return s;
}

/** What a screened value needs: nothing (no keyword can be in it), the regex, or normalizing first. */
export const SCREENED_NONE = 0;
export const SCREENED_CANDIDATE = 1;
export const SCREENED_UNSCREENED = 2;
export type Screened = typeof SCREENED_NONE | typeof SCREENED_CANDIDATE | typeof SCREENED_UNSCREENED;

/**
 * One pass over `value`: could the lower-cased text hold a keyword? With `normalized` the value is
 * already NFKC and lower-case (the regex's own text): every character is taken as it is.
 */
export function screenValue(s: KeywordScreen, value: string, normalized = false): Screened {
  const { kinds, pairs } = s;
  // The previous character (lower-cased) when a keyword starts with it, else -1.
  let prev = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const kind = kinds[c] as number;
    if (prev >= 0) {
      const h = pairHash(prev, c >= 65 && c <= 90 ? c | 0x20 : c);
      if (((pairs[h >>> 5] as number) & (1 << (h & 31))) !== 0) return SCREENED_CANDIDATE;
    }
    if (kind === 0) {
      prev = -1;
      continue;
    }
    if ((kind & FOLD) !== 0 && !normalized) return SCREENED_UNSCREENED;
    if ((kind & WHOLE) !== 0) return SCREENED_CANDIDATE;
    prev = (kind & START) !== 0 ? (c >= 65 && c <= 90 ? c | 0x20 : c) : -1;
  }
  return SCREENED_NONE;
}
