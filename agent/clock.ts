/** Time, injectable so tests can stand on 31 December 23:59:59 China time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** Counting year: the calendar year in China time (UTC+8); 1 Jan 00:00 +08:00 starts a new one. */
export const chinaYear = (d: Date): number => new Date(d.getTime() + CHINA_OFFSET_MS).getUTCFullYear();

/** The China-time calendar day, `YYYY-MM-DD`, as filings' dates are written. */
export const chinaDay = (d: Date): string => new Date(d.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
