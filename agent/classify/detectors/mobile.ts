/**
 * Mainland mobile numbers: 11 digits starting 1[3-9], optionally prefixed +86 / 0086 / 86, digits
 * optionally grouped by spaces or dashes (138 0013 8000, 138-0013-8000). Normalized to 11 digits.
 */
import { eachMatch } from './context.js';

const CANDIDATE = /(?<![0-9])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![0-9])/g;

/** Every mobile number inside `text`, as 11 plain digits. */
export function findMobiles(text: string): string[] {
  if (text.length < 11) return [];
  const found: string[] = [];
  eachMatch(CANDIDATE, text, (m) => found.push(`${m[1]}${m[2]}${m[3]}`));
  return found;
}
