/**
 * Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
 * set (digits and upper-case letters without I, O, Z, S, V): registration authority, entity type,
 * 6-digit region code, 9-character organization code, check character by MOD 31 (weights 3^i mod 31).
 * A code names an organization, not a person — except registration type 92, an individual business
 * (个体工商户), which is one natural person's: findUscc reports whether a code is one. Upper case only,
 * as the standard writes it.
 */
import { eachMatch } from './context.js';

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const C = 'A-HJ-NP-RTUW-Y';
const CANDIDATE = new RegExp(`(?<![0-9A-Za-z])[0-9${C}]{2}\\d{6}[0-9${C}]{10}(?![0-9A-Za-z])`, 'g');

/** True for an 18-character code whose check character is right (GB 32100-2015, 4.2). */
export function isUscc(code: string): boolean {
  if (code.length !== 18) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = CHARSET.indexOf(code[i] as string);
    if (v < 0) return false;
    sum += v * (WEIGHTS[i] as number);
  }
  return CHARSET[(31 - (sum % 31)) % 31] === code[17];
}

/** Every valid code inside `text`; `individual` for type 92 (individual businesses). */
export function findUscc(text: string): { value: string; individual: boolean }[] {
  const out: { value: string; individual: boolean }[] = [];
  eachMatch(CANDIDATE, text, (m) => {
    if (isUscc(m[0])) out.push({ value: m[0], individual: m[0].startsWith('92') });
  });
  return out;
}
