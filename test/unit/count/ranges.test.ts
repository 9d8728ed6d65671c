/**
 * reaches(): the one predicate the store's refusal and decide()'s block share. A range is
 * [min, max); a transfer moves a counter from `before` to `after`.
 */
import { describe, expect, it } from 'vitest';
import { reaches, type Range } from '../../../agent/count/ranges.js';

const ITEM_6: Range = { min: 100_000, max: 2_000_000 }; // limited counter, standard contract
const ITEM_4: Range = { min: 2_000_000, max: undefined }; // limited counter, security assessment
const ITEM_7_SENSITIVE: Range = { min: 1, max: 10_000 };

describe('reaches', () => {
  it.each([
    { range: ITEM_6, before: 0, after: 99_999, reaches: false, why: 'ends one short of the band' },
    { range: ITEM_6, before: 99_999, after: 99_999, reaches: false, why: 'stays below the band' },
    { range: ITEM_6, before: 99_999, after: 100_000, reaches: true, why: 'ends on the first person of the band' },
    { range: ITEM_6, before: 150_000, after: 150_001, reaches: true, why: 'moves inside the band' },
    { range: ITEM_6, before: 150_000, after: 150_000, reaches: true, why: 'sits inside the band and re-sends known persons' },
    { range: ITEM_6, before: 1_999_999, after: 2_000_000, reaches: true, why: 'starts inside the band and leaves it' },
    { range: ITEM_6, before: 2_000_000, after: 2_000_001, reaches: false, why: 'is already past the band' },
    { range: ITEM_6, before: 0, after: 3_000_000, reaches: true, why: 'passes right through the band' },
    { range: ITEM_4, before: 1_999_999, after: 1_999_999, reaches: false, why: 'stays below an unbounded band' },
    { range: ITEM_4, before: 1_999_999, after: 2_000_000, reaches: true, why: 'enters an unbounded band' },
    { range: ITEM_4, before: 9_000_000, after: 9_000_000, reaches: true, why: 'sits in an unbounded band' },
    { range: ITEM_7_SENSITIVE, before: 0, after: 0, reaches: false, why: 'adds no sensitive person' },
    { range: ITEM_7_SENSITIVE, before: 0, after: 1, reaches: true, why: 'adds the first sensitive person' },
    { range: ITEM_7_SENSITIVE, before: 10_000, after: 10_001, reaches: false, why: 'is past the sensitive band' },
  ])('a counter that $why (before $before, after $after) → $reaches', ({ range, before, after, reaches: want }) => {
    expect(reaches(range, before, after)).toBe(want);
  });
});
