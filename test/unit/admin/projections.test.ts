/**
 * Projected threshold dates (agent/admin/projections.ts): the day a counter reaches each threshold
 * it has not reached, at the last 7 and 30 days' rate of new persons; null when the rate is 0 or the
 * date falls after 31 December (counters restart each year).
 */
import { describe, expect, it } from 'vitest';
import { addDays, dailyRate, dailySeries, daysBetween, projectThresholds } from '../../../agent/admin/projections.js';

const T100K = { item: 6, threshold: 'n ≥ 100,000', min: 100_000 };
const T1M = { item: 7, threshold: 'n ≥ 1,000,000', min: 1_000_000 };

/** `perDay` persons on each of the `days` days ending `today`. */
const steady = (today: string, days: number, perDay: number) => new Map(Array.from({ length: days }, (_, i) => [addDays(today, -i), perDay] as const));

describe('projectThresholds', () => {
  const cases: { description: string; exact: number; daily: Map<string, number>; today: string; expected: { item: number; at7: string | null; at30: string | null }[] }[] = [
    {
      description: '1,000 new persons a day for 30 days, 90,000 counted: 10,000 to go → 10 days; 910 days to 1M → after 31 December: null',
      exact: 90_000,
      daily: steady('2026-05-10', 30, 1_000),
      today: '2026-05-10',
      expected: [
        { item: 6, at7: '2026-05-20', at30: '2026-05-20' },
        { item: 7, at7: null, at30: null },
      ],
    },
    {
      description: '5,000 a day, 400,000 counted: 600,000 to 1M → 120 days',
      exact: 400_000,
      daily: steady('2026-05-10', 30, 5_000),
      today: '2026-05-10',
      expected: [{ item: 7, at7: '2026-09-07', at30: '2026-09-07' }],
    },
    {
      description: 'a burst in the last 7 days only: the 7-day rate is 30/7 of the 30-day one',
      exact: 50_000,
      daily: steady('2026-05-10', 7, 3_000),
      today: '2026-05-10',
      // 7-day rate 3,000/day → 50,000 / 3,000 = 16.7 → 17 days; 30-day rate 700/day → 71.4 → 72 days.
      expected: [
        { item: 6, at7: '2026-05-27', at30: '2026-07-21' },
        { item: 7, at7: null, at30: null },
      ],
    },
    {
      description: 'nobody new for 30 days: no date at either rate',
      exact: 10,
      daily: new Map([['2026-03-01', 10]]),
      today: '2026-05-10',
      expected: [
        { item: 6, at7: null, at30: null },
        { item: 7, at7: null, at30: null },
      ],
    },
    {
      description: 'nobody in the last 7 days but some in the last 30: only the 30-day date',
      exact: 99_000,
      daily: new Map([['2026-04-20', 3_000]]),
      today: '2026-05-10',
      // 30-day rate 100/day → 1,000 to go → 10 days.
      expected: [
        { item: 6, at7: null, at30: '2026-05-20' },
        { item: 7, at7: null, at30: null },
      ],
    },
    {
      description: 'a threshold already reached is not projected',
      exact: 150_000,
      daily: steady('2026-05-10', 30, 1_000),
      today: '2026-05-10',
      expected: [{ item: 7, at7: null, at30: null }],
    },
    {
      description: 'early January: the rate is over the days of the year so far (3), not over days of last year',
      exact: 3_000,
      daily: new Map([
        ['2026-01-01', 1_000],
        ['2026-01-02', 1_000],
        ['2026-01-03', 1_000],
        ['2025-12-31', 50_000],
      ]),
      today: '2026-01-03',
      expected: [
        { item: 6, at7: '2026-04-10', at30: '2026-04-10' },
        { item: 7, at7: null, at30: null },
      ],
    },
    {
      description: 'the gap closes within a day at this rate: tomorrow, never today',
      exact: 99_999,
      daily: steady('2026-05-10', 30, 1_000),
      today: '2026-05-10',
      expected: [
        { item: 6, at7: '2026-05-11', at30: '2026-05-11' },
        { item: 7, at7: null, at30: null },
      ],
    },
  ];
  for (const c of cases) {
    it(c.description, () => {
      const got = projectThresholds(c.exact, [T100K, T1M], c.daily, c.today).map((p) => ({ item: p.item, at7: p.at7, at30: p.at30 }));
      expect(got).toEqual(c.expected);
    });
  }

  it('keeps item, threshold and min of each projected threshold', () => {
    expect(projectThresholds(0, [T100K], new Map(), '2026-05-10')).toEqual([{ ...T100K, at7: null, at30: null }]);
  });
});

describe('dailyRate, dailySeries and day arithmetic', () => {
  it('averages the window ending today, today included', () => {
    const daily = new Map([
      ['2026-05-10', 70],
      ['2026-05-04', 70],
      ['2026-05-03', 1_000],
    ]);
    expect(dailyRate(daily, '2026-05-10', 7)).toBe(20);
  });

  it('gives the last 30 days oldest first, with zeros', () => {
    const series = dailySeries(new Map([['2026-05-10', 5], ['2026-04-11', 2], ['2026-04-10', 99]]), '2026-05-10');
    expect(series).toHaveLength(30);
    expect(series[0]).toEqual({ day: '2026-04-11', added: 2 });
    expect(series[29]).toEqual({ day: '2026-05-10', added: 5 });
    expect(series.filter((d) => d.added > 0)).toHaveLength(2);
  });

  it('adds days across months, leap days and years', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-05-10', '2026-08-08')).toBe(90);
    expect(daysBetween('2026-05-10', '2026-05-09')).toBe(-1);
  });
});
