/**
 * PRC resident identity number (GB 11643-1999): 6-digit region code, 8-digit birth date, 3-digit
 * sequence, check character by ISO 7064 MOD 11-2; region plausible (a real province code), birth
 * date real, from 1900 to the transfer day. Also foreign permanent-resident IDs (first digit 9, same
 * checksum) and HK/Macau/Taiwan residence permits (81/82/83). Legacy 15-digit
 * numbers carry no check character and are left to the inspection issue's labelled detectors.
 */
import { eachMatch } from './context.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/**
 * Province-level codes of GB/T 2260 (11–65, 71 Taiwan) and the residence permits' 81–83 (HK, Macao,
 * Taiwan). A foreign permanent resident's ID starts 9, followed by the issuing province's code.
 */
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]);
const CHECK = '10X98765432';

// Bounded by non-alphanumerics so an ID inside a longer digit run (a parcel number) is not taken.
const CANDIDATE = /(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])/g;

/** True if the leading digits name a real province (or a permanent resident's issuing province). */
export function plausibleRegion(id: string): boolean {
  return id[0] === '9' ? PROVINCES.has(Number(id.slice(1, 3))) : PROVINCES.has(Number(id.slice(0, 2)));
}

/** True for an 18-character number with a valid check character, a plausible region and a real birth date. */
export function isResidentId(s: string, onDate: Date = new Date()): boolean {
  if (s.length !== 18) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    sum += d * (WEIGHTS[i] as number);
  }
  if (CHECK[sum % 11] !== s[17]?.toUpperCase() || !plausibleRegion(s)) return false;
  const birth = birthDate(s);
  return birth !== undefined && birth.getTime() <= onDate.getTime() && birth.getUTCFullYear() >= 1900;
}

/** Birth date encoded in an 18-character ID (UTC midnight), or undefined if it is no real date. */
export function birthDate(id: string): Date | undefined {
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : undefined;
}

/** Every valid resident ID inside `text`, upper-cased. Linear in the text's length. */
export function findResidentIds(text: string, onDate?: Date): string[] {
  if (text.length < 18) return [];
  const found: string[] = [];
  eachMatch(CANDIDATE, text, (m) => {
    if (isResidentId(m[0], onDate)) found.push(m[0].toUpperCase());
  });
  return found;
}
