/**
 * PRC working days, for the regulations' deadlines counted in 工作日: a standard contract is filed
 * within 10 working days after it takes effect (CAC Order 13, Art. 7); a security assessment's or a
 * zone filing's extension is applied for within the last 60 working days before expiry (CAC Order
 * 16, Art. 9; Fujian FTZ measures, Art. 13). Days are `YYYY-MM-DD` strings in China time.
 *
 * Source: the `chinese-days` package, which carries each year's State Council holiday notice
 * (国务院办公厅关于…年部分节假日安排的通知), adjusted working weekends (调休) included.
 *
 * Policy for a year the package does not know (its holiday list for the year is empty; the notice
 * for year Y usually appears late in Y-1, and the package follows it): Monday to Friday are working
 * days except the statutory holidays fixed by date in 全国年节及纪念日放假办法 as revised in 2024
 * (in force 2025-01-01): 元旦 1 January, 劳动节 1–2 May, 国庆节 1–3 October. The lunar and
 * solar-term holidays (春节, 清明, 端午, 中秋), the compensation for a fixed holiday falling on a
 * weekend (补假) and the 调休 weekends are placed only by the notice, so they are not guessed. Such a
 * count is an estimate: callers ask `uncoveredYears()` for the span they counted over and report
 * `holiday-calendar-unknown` with the date they give. The package's own `isWorkday` is not used
 * for those years: it answers as if they had no holidays at all (2027-01-01 "working").
 *
 * Each day's answer is memoized (a few hundred distinct days a year are ever asked).
 */
import chineseDays from 'chinese-days';

const { isWorkday, getHolidaysInRange } = chineseDays;

const MS_PER_DAY = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Statutory holidays fixed by date (全国年节及纪念日放假办法, 2024 revision, Art. 2), as `MM-DD`. */
const FIXED_DATE_HOLIDAYS: ReadonlySet<string> = new Set(['01-01', '05-01', '05-02', '10-01', '10-02', '10-03']);

const coveredYears = new Map<number, boolean>();
const workingDays = new Map<string, boolean>();

/** Does the holiday package know `year`'s State Council holiday notice (a non-empty holiday list)? */
export function calendarCovers(year: number): boolean {
  let known = coveredYears.get(year);
  if (known === undefined) {
    known = getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0;
    coveredYears.set(year, known);
  }
  return known;
}

/** Is `day` a PRC working day? Uncovered years: Monday–Friday less the fixed-date holidays (see header). */
export function isWorkingDay(day: string): boolean {
  let working = workingDays.get(day);
  if (working === undefined) {
    const ms = toMs(day);
    if (calendarCovers(yearOf(day))) working = isWorkday(day);
    else {
      const weekday = new Date(ms).getUTCDay();
      working = weekday !== 0 && weekday !== 6 && !FIXED_DATE_HOLIDAYS.has(day.slice(5));
    }
    workingDays.set(day, working);
  }
  return working;
}

/**
 * The n-th working day after `day` (`day` itself is not counted: 民法典 Art. 201, the period starts
 * the next day); a negative n counts back, giving the |n|-th working day before `day`; 0 gives `day`.
 */
export function addWorkingDays(day: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`working days must be a whole number: ${n}`);
  const step = n < 0 ? -MS_PER_DAY : MS_PER_DAY;
  let ms = toMs(day);
  let at = day;
  for (let left = Math.abs(n); left > 0; ) {
    ms += step;
    at = toDay(ms);
    if (isWorkingDay(at)) left--;
  }
  return at;
}

/** Working days in (from, to]; negative when `to` is before `from` (minus those in (to, from]). */
export function workingDaysBetween(from: string, to: string): number {
  if (to < from) return -workingDaysBetween(to, from);
  let count = 0;
  for (let ms = toMs(from) + MS_PER_DAY, end = toMs(to); ms <= end; ms += MS_PER_DAY) if (isWorkingDay(toDay(ms))) count++;
  return count;
}

/** The years from `from` to `to` (either order, inclusive) whose holidays the package does not know, ascending. */
export function uncoveredYears(from: string, to: string): number[] {
  const [a, b] = [yearOf(from), yearOf(to)].sort((x, y) => x - y) as [number, number];
  const out: number[] = [];
  for (let y = a; y <= b; y++) if (!calendarCovers(y)) out.push(y);
  return out;
}

function toMs(day: string): number {
  const m = DAY.exec(day);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Round-trip check rejects impossible dates (2026-02-30) that Date.UTC would roll over.
  if (Number.isNaN(ms) || toDay(ms) !== day) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return ms;
}

const toDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const yearOf = (day: string): number => {
  toMs(day);
  return Number(day.slice(0, 4));
};
