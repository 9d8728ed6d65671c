/**
 * When a counter reaches each threshold it has not reached yet, at the rate of new persons of the
 * last 7 and last 30 days (`GET /api/status`, the dashboard). Pure: the daily series in (persons
 * added per China-time day, `store.daily`), China-time dates out. A projection is a planning aid for
 * the compliance officer (file before the date), never an input to a decision.
 */

export interface ProjectionInput {
  readonly item: number;
  /** As `describeThreshold` writes it (`n ≥ 100,000`). */
  readonly threshold: string;
  readonly min: number;
}

export interface Projection extends ProjectionInput {
  /** China-time day (`YYYY-MM-DD`) the counter reaches `min` at the last 7 days' rate; null: not this year at that rate. */
  readonly at7: string | null;
  readonly at30: string | null;
}

/**
 * Projections of every threshold above `exact`. The rate over a window is the persons added in the
 * `window` days ending `today` (today's own so far included) divided by the window, or by the days
 * of the year so far when fewer (counters restart on 1 January, so earlier days say nothing). The
 * date is the first day after today by which that rate covers the gap. Null when the rate is 0, or
 * when the date falls in a later year (the counter restarts from zero before it gets there).
 */
export function projectThresholds(exact: number, thresholds: readonly ProjectionInput[], daily: ReadonlyMap<string, number>, today: string): Projection[] {
  const r7 = dailyRate(daily, today, 7);
  const r30 = dailyRate(daily, today, 30);
  return thresholds
    .filter((t) => exact < t.min)
    .map((t) => ({ item: t.item, threshold: t.threshold, min: t.min, at7: reachDay(t.min - exact, r7, today), at30: reachDay(t.min - exact, r30, today) }));
}

/** Average persons added per day over the `window` days ending `today` (at most the days of today's year so far). */
export function dailyRate(daily: ReadonlyMap<string, number>, today: string, window: number): number {
  const days = Math.min(window, dayOfYear(today));
  let sum = 0;
  for (let i = 0; i < days; i++) sum += daily.get(addDays(today, -i)) ?? 0;
  return days > 0 ? sum / days : 0;
}

/** The last `days` days ending `today`, oldest first, with 0 on days nobody was added. */
export function dailySeries(daily: ReadonlyMap<string, number>, today: string, days = 30): { day: string; added: number }[] {
  return Array.from({ length: days }, (_, i) => {
    const day = addDays(today, i - days + 1);
    return { day, added: daily.get(day) ?? 0 };
  });
}

function reachDay(gap: number, rate: number, today: string): string | null {
  if (!(rate > 0)) return null;
  const day = addDays(today, Math.max(1, Math.ceil(gap / rate)));
  return day.slice(0, 4) === today.slice(0, 4) ? day : null;
}

const DAY_MS = 24 * 3600 * 1000;
const epochDay = (day: string): number => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / DAY_MS;

/** `day` (`YYYY-MM-DD`) plus `n` calendar days. */
export const addDays = (day: string, n: number): string => new Date((epochDay(day) + n) * DAY_MS).toISOString().slice(0, 10);

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export const daysBetween = (from: string, to: string): number => epochDay(to) - epochDay(from);

/** 1 on 1 January. */
const dayOfYear = (day: string): number => daysBetween(`${day.slice(0, 4)}-01-01`, day) + 1;
